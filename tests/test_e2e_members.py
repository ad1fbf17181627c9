"""End to end: a member joins through the real `salonbot run` process; its jobs send reminders."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

import pytest

from bot.sandbox.server import BotApiSandbox
from storage.db import create_engine, session_factory
from storage.salons import NewSalon, add_salon
from storage.signups import add_signup
from storage.types import utcnow
from storage.users import CommunityInfo, UserInfo, upsert_communities, upsert_user
from tests.e2e import BotProcess, write_config
from tests.updates import COMMUNITY_ID, EN_USER, ZH_USER, message_json


async def _seed(db_url: str) -> tuple[str, int]:
    """A salon to join, and one starting in 90 minutes that EN_USER joined days ago."""
    engine = create_engine(db_url)
    try:
        async with session_factory(engine).begin() as session:
            await upsert_communities(
                [CommunityInfo(COMMUNITY_ID, "读书会", "Asia/Shanghai", "zh")], session=session
            )
            later = await add_salon(
                NewSalon(COMMUNITY_ID, "城市漫步", utcnow() + timedelta(days=2), 10,
                         location="人民公园"),
                session=session,
            )  # fmt: skip
            soon = await add_salon(
                NewSalon(COMMUNITY_ID, "Book club", utcnow() + timedelta(minutes=90), 10),
                session=session,
            )
            await upsert_user(UserInfo(EN_USER["id"], "Alice", language_code="en"), session=session)
            await add_signup(
                soon.id, EN_USER["id"], session=session, now=utcnow() - timedelta(days=3)
            )
            return later.short_code, soon.id
    finally:
        await engine.dispose()


@pytest.fixture
def sandbox():
    with BotApiSandbox() as api:
        yield api


def test_member_joins_by_code_and_gets_confirmation_calendar_and_reminder(
    tmp_path, sandbox, db_url
):
    code, soon_id = asyncio.run(_seed(db_url))
    bot = BotProcess(write_config(tmp_path, sandbox, db_url)).start()
    try:
        bot.wait_polling(sandbox)
        sandbox.push_update({"message": message_json("/start", ZH_USER)})
        sandbox.push_update({"message": message_json(f"/join {code}", ZH_USER)})
        texts = sandbox.wait_for("sendMessage", 2, chat_id=ZH_USER["id"])
        assert texts[1].params["text"].startswith("报名成功！到时见。")
        assert "城市漫步" in texts[1].params["text"] and "人民公园" in texts[1].params["text"]
        [document] = sandbox.wait_for("sendDocument", 1, chat_id=ZH_USER["id"])
        ics = document.params["document"]
        assert ics["filename"] == f"salon-{code}.ics"
        assert b"SUMMARY:" in ics["data"] and b"LOCATION:" in ics["data"]
        # The scheduler ticks every second in this config: the reminder arrives by itself.
        [reminder] = sandbox.wait_for("sendMessage", 1, chat_id=EN_USER["id"])
        assert reminder.params["text"].startswith("Reminder: «Book club» starts ")
        keyboard = reminder.params["reply_markup"]["inline_keyboard"]
        assert keyboard[0][0]["callback_data"] == f"L:{soon_id}"
    finally:
        status = bot.stop(signal.SIGTERM)
    assert status == 0, bot.log()
    assert len(sandbox.calls_to("sendMessage", chat_id=EN_USER["id"])) == 1
