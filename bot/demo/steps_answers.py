"""Demo step: members answer their invitations (or join from the group) as the simulation says."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from bot.campaigns.uplift import get_campaign_uplift
from bot.demo.driver import Demo, button_with
from bot.sandbox.server import Call
from storage.attendance import list_attendees
from storage.models.salons import GOING, WAITLIST
from storage.salons import get_salon

# How many answers of each kind the transcript shows in full.
SHOWN = {"joined": 2, "declined": 1, "link": 1, "waitlisted": 2}


@dataclass(frozen=True)
class Answer:
    """What one member does: press Join or Not this time, or use the group's join link."""

    user_id: int
    kind: str  # join | decline | link
    invitation: Call | None = None


def draw_answers(
    demo: Demo, truth: pd.DataFrame | None = None, invitations: dict[int, Call] | None = None
) -> list[Answer]:
    """Invited members join with p_invited or decline with p_decline (else stay silent);
    everyone else joins from the announcement with p_uninvited. In a random order.

    `truth` (planted_response by user_id) and `invitations` (user id -> the invitation sent)
    default to the first salon's."""
    truth = demo.facts["plan"].truth if truth is None else truth
    invitations = demo.facts["invitations"] if invitations is None else invitations
    rng = demo.world.rng
    answers = []
    for user_id in demo.world.members:
        p = truth.loc[user_id]
        draw = rng.random()
        if user_id in invitations:
            if draw < p.p_invited:
                answers.append(Answer(user_id, "join", invitations[user_id]))
            elif draw < p.p_invited + p.p_decline:
                answers.append(Answer(user_id, "decline", invitations[user_id]))
        elif draw < p.p_uninvited:
            answers.append(Answer(user_id, "link"))
    order = rng.permutation(len(answers))
    return [answers[i] for i in order]


def give_answer(demo: Demo, answer, short_code: str) -> str | None:
    """Act out one drawn answer: Join or Not this time under the invitation, or the group's
    link. Returns the pressed button's label (None for the link)."""
    person = demo.world.members[answer.user_id]
    if answer.kind == "link":
        demo.say(person, f"/start j_{short_code}", show=False)
        return None
    action = "I:j:" if answer.kind == "join" else "I:n:"
    label, data = button_with(answer.invitation, action)
    demo.press(person, answer.invitation, data, label, show=False)
    return label


async def answers_step(demo: Demo) -> None:
    """Each answer goes to the bot as an update; the salon fills, later joiners wait."""
    _, t = demo.gettext, demo.transcript
    t.heading(_("5. Members answer"))
    t.note(
        _(
            "Each invited member answers as the simulation's planted model decides: Join, Not "
            "this time, or nothing. Members who were not invited (the holdout, or not chosen) "
            "may still join from the group announcement, whose link sends /start j_CODE."
        )
    )
    async with demo.db.begin() as session:
        salon = await get_salon(demo.facts["salon_id"], session=session)
    shown = dict.fromkeys(SHOWN, 0)
    for answer in draw_answers(demo):
        person = demo.world.members[answer.user_id]
        label = give_answer(demo, answer, salon.short_code)
        await demo.settle()
        calls = demo.new_calls()
        kind = {"join": "joined", "decline": "declined", "link": "link"}[answer.kind]
        if kind != "declined" and not any(c.method == "sendDocument" for c in calls):
            kind = "waitlisted"  # no calendar file: the salon was full
        if shown[kind] < SHOWN[kind]:
            shown[kind] += 1
            if answer.kind == "link":
                t.says(person.user_id, f"/start j_{salon.short_code}")
            else:
                t.presses(person.user_id, label)
            t.bot(calls, demo.pressed_by)
    await _summary(demo, salon.id)


async def _summary(demo: Demo, salon_id: int) -> None:
    _, t = demo.gettext, demo.transcript
    async with demo.db.begin() as session:
        people = await list_attendees(salon_id, session=session)
        uplift = await get_campaign_uplift(demo.facts["campaign_id"], session=session)
    going = sum(p.status == GOING for p in people)
    waiting = sum(p.status == WAITLIST for p in people)
    t.note(_("Now {going} going, {waiting} on the waitlist.").format(going=going, waiting=waiting))
    t.note(_("Signed up: {invited_signups} of {invited} invited ({rate_invited:.0%}) against "
             "{holdout_signups} of {holdout} held out ({rate_holdout:.0%}): the uplift /stats "
             "reports.").format(
        invited_signups=uplift.invited_signups, invited=uplift.invited,
        rate_invited=uplift.rate_invited or 0, holdout_signups=uplift.holdout_signups,
        holdout=uplift.holdout, rate_holdout=uplift.rate_holdout or 0))  # fmt: skip
