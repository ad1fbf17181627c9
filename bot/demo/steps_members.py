"""A member's side: their own list of salons, points and a referral, and the leaderboard."""

from __future__ import annotations

from bot.demo.driver import Demo, button_with
from bot.demo.world import CHAT_ID, Persona
from bot.incentives.service import month_start
from bot.incentives.texts import leaderboard_text
from storage.points import get_points, list_leaders
from storage.types import utcnow

FRIEND_ID = 990_000_001


async def members_step(demo: Demo) -> None:
    """/events best fit first, /me with points and the leaderboard button, /invitefriend, a
    friend starting the bot through the link, and what the monthly leaderboard would say."""
    _, t = demo.gettext, demo.transcript
    t.heading(_("11. For members: a personal list, points, a referral, the leaderboard"))
    member = demo.world.members[demo.facts["coming"][0]]
    demo.new_calls()
    demo.say(member, "/events")
    await demo.sent(1, "the member's /events", chat_id=member.user_id)
    await demo.settle()
    demo.show_new()

    async def earned() -> bool:
        async with demo.db.begin() as session:
            return await get_points(member.user_id, CHAT_ID, session=session) > 0

    await demo.until_true(earned, "the points tick")
    t.note(_("The points tick has credited the check-ins and the feedback."))
    demo.say(member, "/me")
    [me] = await demo.sent(1, "the member's /me", chat_id=member.user_id)
    await demo.settle()
    demo.show_new()
    label, data = button_with(me, "PT:1:")
    demo.press(member, me, data, label)
    await demo.settle()
    demo.show_new()

    demo.say(member, "/invitefriend")
    [invite] = await demo.sent(1, "the member's link", chat_id=member.user_id)
    await demo.settle()
    demo.show_new()
    link = invite.params["text"].split("start=", 1)[1].split()[0]
    friend = Persona(FRIEND_ID, "Lin", member.language_code)
    t.names[FRIEND_ID] = friend.name
    demo.say(friend, f"/start {link}")
    await demo.sent(1, "the friend's welcome", chat_id=FRIEND_ID)
    await demo.settle()
    demo.show_new()
    t.note(_("When Lin comes to a salon, {name} earns the referral points.").format(
        name=member.name))  # fmt: skip

    community = demo.config.community(CHAT_ID)
    now = utcnow()
    async with demo.db.begin() as session:
        leaders = await list_leaders(CHAT_ID, month_start(now, community), now, session=session)
    t.note(_("On the first day of next month the group gets the leaderboard (only members who "
             "opted in):"))  # fmt: skip
    for line in leaderboard_text(community.language, month_start(now, community), leaders).split(
        "\n"
    ):
        t.write(f"    │ {line}")
