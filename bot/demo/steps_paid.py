"""Demo step: a paid workshop in Telegram Stars. One member pays; another leaves and is refunded.

The sandbox plays Telegram's part of a payment: the pre-checkout query when the member
presses Pay, then the successful_payment message, and it accepts refundStarPayment.
"""

from __future__ import annotations

from datetime import timedelta

from bot.demo.driver import Demo, DemoError, button_with
from bot.demo.world import LOCATION, Persona
from bot.sandbox.server import Call
from recommender.topics import TOPICS
from storage.salons import get_salon

PRICE = "50 XTR"
SEATS = 6


def _payers(demo: Demo) -> list[Persona]:
    """The two reachable members the simulation finds most keen on the salon's topic."""
    truth = demo.facts["plan"].truth
    reachable = [p for p in demo.world.members.values() if p.reachable]
    return sorted(reachable, key=lambda p: -truth.loc[p.user_id, "p_invited"])[:2]


async def _invoice(demo: Demo, person: Persona) -> Call:
    def found() -> list[Call]:
        return demo.sandbox.calls_to("sendInvoice", chat_id=person.user_id)

    await demo.until(lambda: bool(found()), "the invoice")
    return found()[-1]


async def _join(demo: Demo, person: Persona, code: str, *, show: bool) -> Call:
    demo.say(person, f"/join {code}", show=show)
    await demo.settle()
    invoice = await _invoice(demo, person)
    if show:
        demo.show_new()
    else:
        demo.new_calls()
    return invoice


async def paid_step(demo: Demo) -> None:
    """The organizer publishes a paid workshop; a member pays in Stars; another is refunded."""
    _, t, organizer = demo.gettext, demo.transcript, demo.world.organizer
    t.heading(_("6. A paid salon: a member pays in Telegram Stars"))
    plan = demo.facts["plan"]
    when = (plan.local_start + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    name = TOPICS[plan.tag]["name"]
    title = f"{name[1]}工作坊 · {name[0]} workshop"
    demo.say(organizer, f"/newsalon {title} | {when} | {SEATS} | {LOCATION} | {plan.tag} | {PRICE}")
    await demo.settle()
    [preview] = await demo.sent(1, "the paid salon's preview", chat_id=organizer.user_id,
                                button="S:pub")  # fmt: skip
    demo.new_calls()
    label, data = button_with(preview, "S:pub:")
    demo.press(organizer, preview, data, label, show=False)
    await demo.settle()
    demo.show_new()  # the announcement in the group, with its price
    async with demo.db.begin() as session:
        salon = await get_salon(int(data.rsplit(":", 1)[1]), session=session)
    payer, leaver = _payers(demo)
    hold = demo.config.payments.hold_minutes
    t.note(_("Joining a paid salon holds the seat for {minutes:g} minutes and sends a Telegram "
             "Stars invoice.").format(minutes=hold))  # fmt: skip
    invoice = await _join(demo, payer, salon.short_code, show=True)
    query = demo.checkout(payer, invoice)
    await demo.until(lambda: query in demo.sandbox.pre_checkout_answers, "the pre-checkout answer")
    if not demo.sandbox.pre_checkout_answers[query]["ok"]:
        raise DemoError("the bot refused the demo's payment")
    demo.show_new()
    demo.paid(payer, invoice)
    await demo.settle()
    await demo.until(lambda: bool(demo.sandbox.calls_to("sendDocument", chat_id=payer.user_id)),
                     "the payment's confirmation")  # fmt: skip
    demo.show_new()
    t.note(_("Another member pays too, then cannot come after all: leaving more than {hours:g} "
             "hours before the start refunds the Stars.").format(
        hours=demo.config.payments.refund_deadline_hours))  # fmt: skip
    invoice = await _join(demo, leaver, salon.short_code, show=False)
    query = demo.checkout(leaver, invoice)
    await demo.until(lambda: query in demo.sandbox.pre_checkout_answers, "the pre-checkout answer")
    demo.paid(leaver, invoice)
    await demo.settle()
    demo.new_calls()
    demo.say(leaver, f"/leave {salon.short_code}")
    await demo.settle()
    await demo.until(lambda: bool(demo.sandbox.calls_to("refundStarPayment")), "the refund")

    def refund_notice() -> bool:
        texts = [c.params.get("text", "") for c in demo.sandbox.calls_to(
            "sendMessage", chat_id=leaver.user_id)]  # fmt: skip
        return any(text.startswith("↩️") for text in texts)

    await demo.until(refund_notice, "the refund notice")
    demo.show_new()
    demo.facts["paid_salon_id"] = salon.id
