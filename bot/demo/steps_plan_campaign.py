"""Demo step 12, second part: the drafted best plan is published and invited for, members
answer as the simulation says, and its invitations per signup stand next to the first salon's.

The figures come from the stored rows, through `list_salon_funnels`, as /stats shows them.
"""

from __future__ import annotations

from bot.campaigns.uplift import measure_campaign
from bot.demo.driver import Demo, button_with
from bot.demo.steps_answers import draw_answers, give_answer
from bot.demo.steps_salon import send_invitations
from bot.sandbox.server import Call
from recommender.selection import invitations_per_signup
from recommender.sim.salons import planted_response
from storage.attendance import list_attendees
from storage.salons import get_salon
from storage.stats_salons import SalonFunnel, list_salon_funnels
from storage.types import split_tags, utcnow


async def plan_campaign_part(demo: Demo, preview: Call) -> None:
    """Publish the draft in `preview`, /invite for it, let members answer, compare campaigns."""
    _, t, organizer = demo.gettext, demo.transcript, demo.world.organizer
    t.note(_("The organizer publishes the best plan and invites for it as for the first salon: "
             "/invite, the preview, Send invitations."))  # fmt: skip
    label, data = button_with(preview, "S:pub:")
    demo.press(organizer, preview, data, label)
    await demo.settle()
    demo.new_calls()  # the announcement and the management card, as in step 3
    async with demo.db.begin() as session:
        salon = await get_salon(int(data.rsplit(":", 1)[1]), session=session)
    campaign, counts = await send_invitations(demo, salon)
    calls = await demo.sent(counts.invited, "the plan's invitations", button="I:j:")
    demo.new_calls()
    invitations = {c.params["chat_id"]: c for c in calls}
    truth = planted_response(demo.world.community, list(split_tags(salon.tags)),
                             demo.world.now).set_index("user_id")  # fmt: skip
    answers = draw_answers(demo, truth, invitations)
    for answer in answers:
        give_answer(demo, answer, salon.short_code)
    await demo.settle()
    # settle() returns once the updates are taken from the queue, not handled: wait until
    # every join is stored, so the figures below count them all.
    joins = sum(a.kind != "decline" for a in answers)

    async def stored() -> bool:
        async with demo.db.begin() as session:
            return len(await list_attendees(salon.id, session=session)) >= joins

    await demo.until_true(stored, "the members' answers")
    demo.new_calls()
    async with demo.db.begin() as session:  # what the campaign tick does next: /stats reads it
        await measure_campaign(campaign.id, session=session, now=utcnow())
    t.note(_("{invited} invitations went out; as the simulation decides, {joined} invited "
             "members pressed Join, {declined} declined and {link} others joined from the "
             "group's link.").format(
        invited=len(invitations), joined=sum(a.kind == "join" for a in answers),
        declined=sum(a.kind == "decline" for a in answers),
        link=sum(a.kind == "link" for a in answers)))  # fmt: skip
    await compare_campaigns(demo, demo.facts["salon_id"], salon.id)


async def compare_campaigns(demo: Demo, first_id: int, chosen_id: int) -> None:
    """The two campaigns' seats, invitations per signup and over-invited, from storage."""
    _, t = demo.gettext, demo.transcript
    async with demo.db.begin() as session:
        first, chosen = await list_salon_funnels(
            [await get_salon(i, session=session) for i in (first_id, chosen_id)], session=session
        )  # fmt: skip
    demo.facts["campaign_funnels"] = (first, chosen)
    for name, funnel in ((_("First salon"), first), (_("Chosen plan"), chosen)):
        t.note(_("{name} «{title}»: {joined} of {capacity} seats taken; {invited} invited, "
                 "{signups} of them signed up: {ratio} invitations per signup; {over} invited "
                 "but waitlisted (over-invited).").format(
            name=name, title=funnel.title, joined=funnel.joined, capacity=funnel.capacity,
            invited=funnel.invited, signups=funnel.invited_signups, ratio=_ratio(funnel),
            over=funnel.invited_waitlisted))  # fmt: skip
    a, b = (invitations_per_signup(f.invited, f.invited_signups) for f in (first, chosen))
    if a is not None and b is not None:
        if b < a:
            t.note(_("The chosen plan needed fewer invitations per signup than the first salon "
                     "({chosen:.1f} against {first:.1f}).").format(chosen=b, first=a))  # fmt: skip
        else:
            t.note(_("The chosen plan needed no fewer invitations per signup than the first "
                     "salon ({chosen:.1f} against {first:.1f}): both campaigns invited most "
                     "reachable members, so the difference is how many of them wanted to "
                     "come.").format(chosen=b, first=a))  # fmt: skip


def planted_demand(demo: Demo, tags: list[str]) -> float:
    """Signups the simulation's planted model expects for a salon on `tags` when every
    reachable member is invited (the day and hour play no part in it)."""
    truth = planted_response(demo.world.community, tags, demo.world.now).set_index("user_id")
    invitable = demo.world.community.members.set_index("user_id")
    invited = (invitable["reachable"] & ~invitable["invite_opt_out"]).reindex(truth.index)
    return float(truth["p_invited"].where(invited, truth["p_uninvited"]).sum())


def check_forecast(demo: Demo, plan_tags: list[list[str]], best: int) -> None:
    """Next to the forecast, what the simulation's planted model expects of each plan."""
    _, t = demo.gettext, demo.transcript
    demand = [planted_demand(demo, tags) for tags in plan_tags]
    demo.facts["planted_demand"] = demand
    t.note(_("The simulation's planted model (which /plan does not see, and where the day and "
             "hour play no part) expects these signups: {figures}.").format(
        figures=", ".join(_("plan {n}: {expected:.0f}").format(n=i + 1, expected=d)
                          for i, d in enumerate(demand))))  # fmt: skip
    if demand[best] >= max(demand) - 0.5:
        t.note(_("So the forecast picked a plan members want as much as any."))
    else:
        t.note(
            _(
                "So the forecast did not pick the plan members want most: with only a few "
                "past salons its intervals overlap, and this time it guessed wrong."
            )
        )


def _ratio(funnel: SalonFunnel) -> str:
    ratio = invitations_per_signup(funnel.invited, funnel.invited_signups)
    return "—" if ratio is None else f"{ratio:.1f}"
