"""Replies in the group keep the outbox's pace for the group (about 20 a minute in all)."""

from __future__ import annotations

import time

from tests.salon_helpers import member
from tests.updates import COMMUNITY_ID, group_message

ALICE, BO = member(3101), member(3102, "zh")


def group_replies(fake_request) -> list:
    return fake_request.calls_to("sendMessage", chat_id=COMMUNITY_ID)


async def test_commands_in_the_group_are_answered_at_the_group_pace(app, fake_request):
    dispatcher = app.bot_data.dispatcher
    for user in (ALICE, BO, ALICE, BO):  # four members' commands within a second
        await app.process_update(group_message("/events", user, bot=app.bot))
    assert len(group_replies(fake_request)) == 1  # the first answer, with its button
    assert COMMUNITY_ID in dispatcher.busy_chats(time.monotonic())  # the outbox waits too
    # Once the group's interval has passed, the next command is answered again.
    dispatcher.last_sent[COMMUNITY_ID] = time.monotonic() - dispatcher.interval(COMMUNITY_ID)
    await app.process_update(group_message("/help", BO, bot=app.bot))
    [_first, second] = group_replies(fake_request)
    assert "/events" in second.params["text"]  # /help, in Chinese or English


async def test_private_replies_are_not_paced(app, fake_request):
    from tests.updates import message

    for _ in range(3):
        await app.process_update(message("/help", ALICE, bot=app.bot))
    assert len(fake_request.calls_to("sendMessage", chat_id=ALICE["id"])) == 3
