"""Paying for a seat: held seats, invoices, pre-checkout answers, successful payments, races.

Real PTB updates (pre_checkout_query, a message with successful_payment) go through the real
application and the fake Bot API; the assertions are on the calls made and the rows written.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from bot.app import build_app
from bot.jobs import waitlist_job
from bot.seats.invoices import sign_payload, verify_payload
from storage.holds import InvoiceRef
from storage.models import OutboxMessage
from storage.models.payments import PAID, R_SEAT_GONE, REFUND_DUE
from storage.salon_admin import update_salon
from tests.conftest import TOKEN, make_config, started_app
from tests.fakes import FakeRequest
from tests.payment_helpers import (
    answers,
    end_holds,
    invoices,
    join,
    paid_salon,
    pay,
    payments,
    pre_checkout,
    signups,
)
from tests.salon_helpers import job_context, make_salon, member
from tests.updates import callback, message, pre_checkout_query

ALICE, BO, CY = member(3001), member(3002, "zh"), member(3003)


async def test_joining_a_paid_salon_holds_the_seat_and_sends_a_signed_stars_invoice(
    app, fake_request, db
):
    salon = await paid_salon(db, capacity=2, price=50)
    await join(app, ALICE, salon)
    assert await signups(db, salon.id) == ([(3001, "held")], 1)
    [invoice] = invoices(fake_request, ALICE)
    assert invoice["currency"] == "XTR" and invoice["prices"] == [{"label": "Seat", "amount": 50}]
    assert "provider_token" not in invoice  # Stars: no provider token
    assert len(invoice["payload"].encode()) <= 128 and len(invoice["title"]) <= 32
    ref = verify_payload(TOKEN, invoice["payload"])
    assert (ref.salon_id, ref.user_id, ref.amount) == (salon.id, 3001, 50)
    assert "held for you until" in fake_request.sent_texts(3001)[0]
    assert "50 ⭐" in fake_request.sent_texts(3001)[0]
    # Joining again while paying sends the invoice again and holds nothing more.
    await join(app, ALICE, salon)
    assert len(invoices(fake_request, ALICE)) == 2
    assert await signups(db, salon.id) == ([(3001, "held")], 1)


async def test_a_provider_currency_invoice_carries_the_provider_token(db, fake_request, db_url):
    config = make_config(db_url, payments={"provider_token": "284685063:TEST:abc"})
    async with started_app(config, fake_request) as app:
        salon = await paid_salon(db, price=4990, currency="CNY")
        await join(app, ALICE, salon)
        [invoice] = invoices(fake_request, ALICE)
        assert (invoice["currency"], invoice["provider_token"]) == ("CNY", "284685063:TEST:abc")
        assert "49.90 CNY" in fake_request.sent_texts(3001)[0]


async def test_payment_confirms_the_seat_once_even_when_telegram_repeats_the_update(
    app, fake_request, db
):
    salon = await paid_salon(db, capacity=2)
    await join(app, BO, salon)
    [invoice] = invoices(fake_request, BO)
    assert (await pre_checkout(app, fake_request, BO, invoice))["ok"] is True
    await pay(app, BO, invoice, "charge-1", provider_payment_charge_id="")
    await pay(app, BO, invoice, "charge-1")  # duplicate delivery
    assert await signups(db, salon.id) == ([(3002, "going")], 1)
    [payment] = await payments(db)
    assert (payment.user_id, payment.salon_id, payment.amount, payment.currency) == (
        3002, salon.id, 50, "XTR")  # fmt: skip
    assert (payment.status, payment.telegram_payment_charge_id) == (PAID, "charge-1")
    assert payment.community_id == salon.community_id
    # One confirmation (in Chinese) with the calendar file; the repeat sent nothing.
    assert [t for t in fake_request.sent_texts(3002) if t.startswith("已收到付款")] != []
    assert len(fake_request.calls_to("sendDocument", chat_id=3002)) == 1
    # The invoice cannot be paid a second time: the pre-checkout says so.
    again = await pre_checkout(app, fake_request, BO, invoice)
    assert again["ok"] is False and "已经付过款" in again["error_message"]


async def test_pre_checkout_refuses_forged_foreign_stale_and_wrong_queries(app, fake_request, db):
    salon = await paid_salon(db, capacity=3, price=50)
    other = await paid_salon(db, capacity=3, price=50, title="Other salon")
    await join(app, ALICE, salon)
    await join(app, CY, other)
    [invoice] = invoices(fake_request, ALICE)
    ref = verify_payload(TOKEN, invoice["payload"])
    forged = invoice["payload"][:-3] + ("AAA" if not invoice["payload"].endswith("AAA") else "BBB")
    cases = {
        "forged signature": (ALICE, {"invoice_payload": forged}),
        "not our format": (ALICE, {"invoice_payload": "hello"}),
        "signed with another token": (ALICE, {"invoice_payload": sign_payload(
            "999:OTHER", ref)}),
        "another member pays": (BO, {}),
        "wrong amount": (ALICE, {"total_amount": 1}),
        "wrong currency": (ALICE, {"currency": "USD"}),
        "amount changed in the payload": (ALICE, {"invoice_payload": sign_payload(
            TOKEN, InvoiceRef(salon.id, 3001, ref.signup_id, 1)), "total_amount": 1}),
        "payload for another salon": (ALICE, {"invoice_payload": sign_payload(
            TOKEN, InvoiceRef(other.id, 3001, ref.signup_id, 50))}),
        "payload for another member's hold": (CY, {"invoice_payload": sign_payload(
            TOKEN, InvoiceRef(salon.id, 3003, ref.signup_id, 50))}),
    }  # fmt: skip
    for name, (user, override) in cases.items():
        answer = await pre_checkout(app, fake_request, user, invoice, **override)
        assert answer["ok"] is False, name
        assert answer["error_message"], name
    assert (await pre_checkout(app, fake_request, ALICE, invoice))["ok"] is True
    # Chinese for a Chinese client.
    zh = await pre_checkout(app, fake_request, BO, invoice)
    assert zh["error_message"] == "这张账单无效。发送 /events 查看近期活动。"
    assert await payments(db) == []  # a pre-checkout writes nothing


async def test_pre_checkout_refuses_an_expired_hold_and_a_cancelled_salon(app, fake_request, db):
    salon = await paid_salon(db, capacity=3)
    await join(app, ALICE, salon)
    await join(app, CY, salon)
    alice, cy = invoices(fake_request, ALICE)[0], invoices(fake_request, CY)[0]
    await end_holds(db, salon.id)
    answer = await pre_checkout(app, fake_request, ALICE, alice)
    assert answer["ok"] is False and "released" in answer["error_message"]
    await app.process_update(
        callback(f"S:X:{salon.id}", {"id": 42, "is_bot": False, "first_name": "Olga"}, bot=app.bot)
    )
    answer = await pre_checkout(app, fake_request, CY, cy)
    assert answer["ok"] is False and "was cancelled" in answer["error_message"]


async def test_hold_expiry_returns_the_seat_to_the_next_in_line_who_pays_through_the_claim(
    app, fake_request, db, config
):
    salon = await paid_salon(db, capacity=1)
    await join(app, ALICE, salon)
    await join(app, BO, salon)  # full: waitlist
    assert await signups(db, salon.id) == ([(3001, "held"), (3002, "waitlist")], 1)
    assert invoices(fake_request, BO) == []
    await end_holds(db, salon.id)
    await waitlist_job(job_context(app))
    await waitlist_job(job_context(app))  # idempotent
    assert await signups(db, salon.id) == ([(3001, "left"), (3002, "offered")], 1)
    await app.process_update(callback(f"C:{salon.id}", BO, bot=app.bot))
    assert await signups(db, salon.id) == ([(3001, "left"), (3002, "held")], 1)
    [invoice] = invoices(fake_request, BO)
    assert (await pre_checkout(app, fake_request, BO, invoice))["ok"] is True
    await pay(app, BO, invoice, "charge-bo")
    assert await signups(db, salon.id) == ([(3001, "left"), (3002, "going")], 1)
    # Alice's old invoice is void now, and paying it anyway gets her money back.
    [alice] = invoices(fake_request, ALICE)
    assert (await pre_checkout(app, fake_request, ALICE, alice))["ok"] is False
    await pay(app, ALICE, alice, "charge-alice-late")
    late = next(p for p in await payments(db) if p.telegram_payment_charge_id.endswith("late"))
    assert (late.status, late.refund_reason) == (REFUND_DUE, R_SEAT_GONE)
    assert "being refunded" in fake_request.sent_texts(3001)[-1]
    # When her hold ended she was told (through the outbox), once.
    async with db.begin() as session:
        told = list(await session.scalars(
            select(OutboxMessage.payload).where(OutboxMessage.chat_id == 3001)))  # fmt: skip
    assert [p["text"][:39] for p in told] == ["The seat held for you at «Reading night"]


async def test_a_late_payment_takes_a_seat_still_free_after_its_hold_ended(app, fake_request, db):
    salon = await paid_salon(db, capacity=2)
    await join(app, ALICE, salon)
    [invoice] = invoices(fake_request, ALICE)
    await end_holds(db, salon.id)
    await waitlist_job(job_context(app))
    assert await signups(db, salon.id) == ([(3001, "left")], 0)
    await pay(app, ALICE, invoice, "charge-late")
    assert await signups(db, salon.id) == ([(3001, "going")], 1)
    assert [p.status for p in await payments(db)] == [PAID]


async def test_concurrent_payments_for_the_last_seat_one_wins_the_other_is_refunded(
    app, fake_request, db
):
    salon = await paid_salon(db, capacity=1)
    await join(app, ALICE, salon)
    alice = invoices(fake_request, ALICE)[0]
    await end_holds(db, salon.id)
    await waitlist_job(job_context(app))
    await join(app, CY, salon)  # the freed seat is held for Cy now
    cy = invoices(fake_request, CY)[0]
    await end_holds(db, salon.id)
    await waitlist_job(job_context(app))
    assert await signups(db, salon.id) == ([(3001, "left"), (3003, "left")], 0)
    # Both pay their lapsed invoices at the same moment, for the one free seat.
    await asyncio.gather(pay(app, ALICE, alice, "charge-a"), pay(app, CY, cy, "charge-c"))
    people, going = await signups(db, salon.id)
    assert going == 1 and sorted(s for _u, s in people) == ["going", "left"]
    rows = await payments(db)
    assert sorted(p.status for p in rows) == [PAID, REFUND_DUE]
    winner = next(p.user_id for p in rows if p.status == PAID)
    assert dict(people)[winner] == "going"
    assert next(p.refund_reason for p in rows if p.status == REFUND_DUE) == R_SEAT_GONE


async def test_concurrent_duplicate_deliveries_record_one_payment(app, fake_request, db):
    salon = await paid_salon(db, capacity=1)
    await join(app, ALICE, salon)
    [invoice] = invoices(fake_request, ALICE)
    await asyncio.gather(*(pay(app, ALICE, invoice, "charge-x") for _ in range(3)))
    assert await signups(db, salon.id) == ([(3001, "going")], 1)
    assert [p.status for p in await payments(db)] == [PAID]


async def test_a_payment_whose_payload_is_not_ours_is_recorded_and_refunded(app, fake_request, db):
    salon = await paid_salon(db, capacity=1)
    await join(app, ALICE, salon)
    [invoice] = invoices(fake_request, ALICE)
    await pay(app, ALICE, invoice, "charge-odd", invoice_payload="v1.1.2.3.4.forgedforgedforged00")
    [payment] = await payments(db)
    assert (payment.status, payment.refund_reason, payment.salon_id) == (
        REFUND_DUE, "invalid", None)  # fmt: skip
    assert await signups(db, salon.id) == ([(3001, "held")], 1)
    assert answers(fake_request) == []


async def test_free_salons_are_unchanged(app, fake_request, db):
    salon = await make_salon(db, capacity=2)
    await join(app, ALICE, salon)
    assert await signups(db, salon.id) == ([(3001, "going")], 1)
    assert invoices(fake_request, ALICE) == []


class GatedRequest(FakeRequest):
    """The fake Bot API, except that messages to one chat hang until `gate` opens."""

    def __init__(self, slow_chat: int) -> None:
        super().__init__()
        self.slow_chat = slow_chat
        self.gate = asyncio.Event()
        self.answered = asyncio.Event()  # set once a pre-checkout query was answered

    async def do_request(self, url, method, request_data=None, **kwargs):
        params = request_data.parameters if request_data else {}
        if url.endswith("/sendMessage") and params.get("chat_id") == self.slow_chat:
            await self.gate.wait()
        result = await super().do_request(url, method, request_data, **kwargs)
        if url.endswith("/answerPreCheckoutQuery"):
            self.answered.set()
        return result


async def test_the_pre_checkout_answer_does_not_wait_behind_a_slow_update(db, config):
    request = GatedRequest(slow_chat=CY["id"])
    app = build_app(config, request=request)
    await app.initialize()
    await app.post_init(app)
    await app.start()
    try:
        salon = await paid_salon(db, capacity=2)
        await join(app, ALICE, salon)
        [invoice] = invoices(request, ALICE)
        # Cy's /events hangs on its reply; Alice pays meanwhile; then Bo sends /events.
        await app.update_queue.put(message("/events", CY, bot=app.bot))
        await app.update_queue.put(pre_checkout_query(ALICE, invoice, bot=app.bot))
        await app.update_queue.put(message("/events", BO, bot=app.bot))
        async with asyncio.timeout(10):  # Telegram's limit; it comes long before
            await request.answered.wait()
        assert request.calls_to("answerPreCheckoutQuery")[0].params["ok"] is True
        # Other updates keep their order: Bo's /events waits for Cy's to finish.
        assert not request.gate.is_set() and request.calls_to("sendMessage", chat_id=BO["id"]) == []
        request.gate.set()
        await asyncio.wait_for(app.update_queue.join(), 30)
        order = [c.params["chat_id"] for c in request.calls_to("sendMessage")][-2:]
        assert order == [CY["id"], BO["id"]]
    finally:
        request.gate.set()
        await app.stop()
        await app.post_shutdown(app)
        await app.shutdown()


async def test_a_salon_made_free_while_a_member_pays_gives_them_the_seat(app, fake_request, db):
    salon = await paid_salon(db, capacity=1)
    await join(app, ALICE, salon)
    [invoice] = invoices(fake_request, ALICE)
    async with db.begin() as session:
        await update_salon(salon.id, session=session, price_amount=0, currency="")
    answer = await pre_checkout(app, fake_request, ALICE, invoice)
    assert answer["ok"] is False and "price" in answer["error_message"]
    await join(app, ALICE, salon)
    assert await signups(db, salon.id) == ([(3001, "going")], 1)
    assert len(invoices(fake_request, ALICE)) == 1  # no invoice for a free seat
    assert fake_request.sent_texts(3001)[-1].startswith("You are already signed up")


async def test_the_seat_offer_of_a_paid_salon_names_the_price(app, fake_request, db, config):
    salon = await paid_salon(db, capacity=1, price=50)
    await join(app, ALICE, salon)
    await join(app, CY, salon)
    await end_holds(db, salon.id)
    await waitlist_job(job_context(app))
    async with db.begin() as session:
        [offer] = list(await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == CY["id"])))  # fmt: skip
    assert offer.payload["text"].endswith("💰 50 ⭐, paid when you claim the seat.")
