"""Demo steps around the salon itself: reminders, a freed seat, check-in, feedback.

Time passes by moving the salon's timestamps back (storage.timeshift); the scheduler's ticks
then find the reminders, the no-shows and the polls due and the dispatcher sends them.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from bot.attendance.checkin import PAGE
from bot.demo.driver import Demo, button_with
from storage.attendance import list_attendees, salon_ends_at
from storage.models import Salon
from storage.models.salons import GOING, WAITLIST
from storage.salons import get_salon
from storage.types import utcnow

COMMENTS = {
    "zh-hans": "很有收获，希望下次再办！",
    "en": "Great evening, I learned a lot. More please!",
}


async def _salon(demo: Demo) -> Salon:
    async with demo.db.begin() as session:
        return await get_salon(demo.facts["salon_id"], session=session)


async def _people(demo: Demo, status: str) -> list[int]:
    async with demo.db.begin() as session:
        people = await list_attendees(demo.facts["salon_id"], session=session)
    return [p.user_id for p in people if p.status == status]


async def _reminders(demo: Demo, count: int) -> list:
    """Wait for `count` reminders, show one, count the rest."""
    _, t = demo.gettext, demo.transcript
    calls = await demo.sent(count, "the reminders", button="L:")
    demo.new_calls()
    t.bot(calls[:1])
    t.more(len(calls) - 1, _("{count} more reminders.").format(count=len(calls) - 1))
    return calls


async def reminders_step(demo: Demo) -> None:
    """24 h and 2 h reminders; one member cannot come and the first in line gets the seat."""
    _, t = demo.gettext, demo.transcript
    t.heading(_("7. Reminders and the waitlist"))
    salon = await _salon(demo)
    until_day_before = salon.starts_at - utcnow() - timedelta(hours=23)
    t.note(
        _(
            "Instead of waiting, the demo moves the salon and everything about it back in "
            "time; the times the bot shows from here on are the moved ones."
        )
    )
    await demo.shift(
        salon.id,
        until_day_before,
        _("{days} days later: the salon starts in 23 hours").format(days=until_day_before.days),
    )
    reminders = await _reminders(demo, len(await _people(demo, GOING)))
    waiting = await _people(demo, WAITLIST)
    if waiting:
        truth = demo.facts["plan"].truth
        by_chat = {c.params["chat_id"]: c for c in reminders}
        dropout = min(by_chat, key=lambda user_id: truth.loc[user_id, "p_attend"])
        label, data = button_with(by_chat[dropout], "L:")
        demo.press(demo.world.members[dropout], by_chat[dropout], data, label)
        await demo.settle()
        demo.show_new()
        t.note(_("A seat is free: it is offered to the first on the waitlist, who has "
                 "{hours:g} hours to claim it.").format(
            hours=demo.config.schedule.waitlist_claim_hours))  # fmt: skip
        [offer] = await demo.sent(1, "the seat offer", chat_id=waiting[0], button="C:")
        demo.show_new()
        label, data = button_with(offer, "C:")
        demo.press(demo.world.members[waiting[0]], offer, data, label)
        await demo.settle()
        demo.show_new()
    salon = await _salon(demo)
    await demo.shift(salon.id, salon.starts_at - utcnow() - timedelta(hours=1, minutes=55),
                     _("the next day, 2 hours before the start"))  # fmt: skip
    await _reminders(demo, len(await _people(demo, GOING)))


async def checkin_step(demo: Demo) -> None:
    """Most who come check themselves in with /here; the organizer ticks off the rest."""
    _, t, organizer = demo.gettext, demo.transcript, demo.world.organizer
    t.heading(_("8. Check-in"))
    salon = await _salon(demo)
    await demo.shift(salon.id, salon.starts_at - utcnow() - timedelta(minutes=20),
                     _("20 minutes before the start, at the door"))  # fmt: skip
    truth, rng = demo.facts["plan"].truth, demo.world.rng
    going = await _people(demo, GOING)
    coming = [u for u in going if rng.random() < truth.loc[u, "p_attend"]]
    first_page = [u for u in coming if u in going[:PAGE]]
    by_hand = first_page[-2:] if len(coming) >= 4 else first_page[-1:]
    t.note(_("The organizer shows the check-in code {code} at the entrance; {coming} of the "
             "{going} going members come.").format(code=salon.checkin_code, coming=len(coming),
                                                  going=len(going)))  # fmt: skip
    selves = [u for u in coming if u not in by_hand]
    for index, user_id in enumerate(selves):
        demo.say(demo.world.members[user_id], f"/here {salon.checkin_code}", show=index == 0)
        await demo.settle()
        calls = demo.new_calls()
        if index == 0:
            t.bot(calls)
    t.more(len(selves) - 1, _("{count} more members checked in the same way.").format(
        count=len(selves) - 1))  # fmt: skip
    t.note(_("The others' phones are flat: the organizer ticks them off in /salons."))
    demo.say(organizer, "/salons")
    await demo.settle()
    [listing] = await demo.sent(1, "the salon list", chat_id=organizer.user_id, button="S:m")
    demo.new_calls()
    menu = await _open(demo, listing, f"S:m:{salon.id}", exact=True, press=True)
    page = await _open(demo, menu, f"S:k:{salon.id}", exact=True, press=True)
    for user_id in by_hand:
        page = await _open(demo, page, f"S:t:{salon.id}:{user_id}:", press=True,
                           show=user_id == by_hand[-1])  # fmt: skip
    demo.facts["coming"] = coming


async def _open(
    demo: Demo, call, prefix: str, *, show: bool = False, exact: bool = False, press: bool = False
):
    """The organizer presses a button; returns the edited message (shown if asked; `press`
    shows only the press)."""
    label, data = button_with(call, prefix, exact=exact)
    demo.press(demo.world.organizer, call, data, label, show=show or press)
    await demo.settle()
    edits = [c for c in demo.new_calls() if c.method == "editMessageText"]
    if show:
        demo.transcript.bot(edits[-1:])
    return edits[-1]


async def feedback_step(demo: Demo) -> None:
    """After the salon: no-shows are marked, then everyone who came gets a rating poll."""
    _, t = demo.gettext, demo.transcript
    t.heading(_("9. Feedback"))
    salon = await _salon(demo)
    await demo.shift(salon.id, salon_ends_at(salon) - utcnow() + timedelta(minutes=1),
                     _("2 hours later: the salon is over"))  # fmt: skip

    async def marked() -> bool:
        async with demo.db.begin() as session:
            people = await list_attendees(salon.id, session=session)
        return all(p.attended is not None for p in people if p.status == GOING)

    await demo.until_true(marked, "the no-shows to be marked")
    absent = len(await _people(demo, GOING)) - len(demo.facts["coming"])
    t.note(_("No-shows (held a seat, never checked in), marked by the scheduler: "
             "{count}.").format(count=absent))  # fmt: skip
    await demo.shift(salon.id, timedelta(hours=1), _("1 hour later"))
    polls = await demo.sent(len(demo.facts["coming"]), "the feedback polls", method="sendPoll")
    demo.new_calls()
    truth, rng = demo.facts["plan"].truth, demo.world.rng
    ratings = []
    for call in polls:
        person = demo.world.members[call.params["chat_id"]]
        if rng.random() >= 0.6:
            continue  # not everyone answers
        mean = truth.loc[person.user_id, "rating_mean"]
        rating = int(np.clip(np.rint(mean + rng.normal(0, 0.6)), 1, 5))
        first = not ratings
        if first:
            t.bot([call])
        demo.vote(person, call.result["poll"], rating - 1, show=first)
        await demo.settle()
        ratings.append(rating)
        if first:
            # The bot answers a vote with a comment prompt; wait for it (it is sent directly).
            await demo.sent(1, "the comment prompt", chat_id=person.user_id)
            calls = demo.new_calls()
            t.bot(calls)
            prompt = next(c for c in calls if c.method == "sendMessage")
            comment = COMMENTS.get(person.language_code, COMMENTS["en"])
            demo.say(person, comment, reply_to_message=prompt.result)
            await demo.settle()
            demo.show_new()
        else:
            demo.new_calls()
    t.more(len(polls) - 1, _("{count} more polls were sent.").format(count=len(polls) - 1))
    average = sum(ratings) / len(ratings) if ratings else 0.0
    t.note(_("{answered} of {asked} answered; average rating {average:.1f} of 5.").format(
        answered=len(ratings), asked=len(polls), average=average))  # fmt: skip
