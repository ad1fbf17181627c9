"""End to end: three members chat and react in the group; the real bot process rolls it up."""

from __future__ import annotations

import signal
import time
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from bot.sandbox.server import BotApiSandbox
from storage.models import ActivityDay, GroupMessage
from tests.e2e import BotProcess, write_config
from tests.imports import fetch
from tests.updates import COMMUNITY_ID, EN_USER, GROUP, ZH_USER, message_json

BOB = {"id": 1003, "is_bot": False, "first_name": "Bob", "language_code": "en"}
T0 = int(datetime(2026, 3, 2, 9, 15, tzinfo=UTC).timestamp())


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.1)


def reaction(user: dict, message_id: int, emoji: str, at: int) -> dict:
    return {"message_reaction": {
        "chat": GROUP, "message_id": message_id, "user": user, "date": at,
        "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": emoji}]}}  # fmt: skip


def test_three_members_chat_and_react_and_the_rollups_add_up(tmp_path, db_url):
    with BotApiSandbox() as sandbox:
        bot = BotProcess(write_config(tmp_path, sandbox, db_url)).start()
        try:
            bot.wait_polling(sandbox)
            first = message_json("大家好", ZH_USER, GROUP, date=T0)
            sandbox.push_update({"message": first})
            sandbox.push_update({"message": message_json(
                "hi!", EN_USER, GROUP, date=T0 + 60, reply_to_message=first)})  # fmt: skip
            sandbox.push_update({"message": message_json("📚 reading", BOB, GROUP, date=T0 + 2700)})
            # Written by the periodic flush while the bot runs.
            count = select(func.count()).select_from(GroupMessage)
            wait_until(lambda: fetch(db_url, count)[0][0] == 3)
            sandbox.push_update(reaction(EN_USER, first["message_id"], "👍", T0 + 120))
            last = sandbox.push_update(reaction(BOB, first["message_id"], "❤", T0 + 2800))
            # Once the bot asked for newer updates it has these; a stop must not lose them.
            wait_until(lambda: any(int(c.params.get("offset") or 0) > last
                                   for c in sandbox.calls_to("getUpdates")))  # fmt: skip
        finally:
            status = bot.stop(signal.SIGTERM)
    assert status == 0, bot.log()
    columns = (ActivityDay.user_id, ActivityDay.day, ActivityDay.messages, ActivityDay.chars,
               ActivityDay.replies_sent, ActivityDay.replies_received,
               ActivityDay.reactions_given, ActivityDay.reactions_received, ActivityDay.h09,
               ActivityDay.h10)  # fmt: skip
    rows = fetch(db_url, select(*columns).where(ActivityDay.community_id == COMMUNITY_ID)
                 .order_by(ActivityDay.user_id))  # fmt: skip
    day = date(2026, 3, 2)
    assert [tuple(r) for r in rows] == [
        (ZH_USER["id"], day, 1, 3, 0, 1, 0, 2, 1, 0),
        (EN_USER["id"], day, 1, 3, 1, 0, 1, 0, 1, 0),
        (BOB["id"], day, 1, 9, 0, 0, 1, 0, 0, 1),
    ]
