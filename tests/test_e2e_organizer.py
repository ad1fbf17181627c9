"""End to end: an organizer creates a salon in one line and publishes it to the group."""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.sandbox.server import BotApiSandbox
from storage.db import create_engine, session_factory
from storage.models import Salon
from tests.e2e import BotProcess, write_config
from tests.organizer import local_in, text_of, utc_of
from tests.updates import COMMUNITY_ID, ORGANIZER, callback_query_json, message_json


@pytest.fixture
def sandbox():
    with BotApiSandbox() as api:
        yield api


async def _salons(db_url: str) -> list[Salon]:
    engine = create_engine(db_url)
    try:
        async with session_factory(engine).begin() as session:
            return list(await session.scalars(select(Salon)))
    finally:
        await engine.dispose()


def _buttons(call) -> dict[str, str]:
    markup = call.params.get("reply_markup") or {}
    return {
        b["text"]: b.get("callback_data") or b.get("url")
        for row in markup.get("inline_keyboard", [])
        for b in row
    }


def test_organizer_publishes_a_one_line_salon_to_the_group(tmp_path, sandbox, db_url):
    start = local_in(6, 19, 30)
    line = f"/newsalon 周末读书会 | {text_of(start)} | 20 | 静安区图书馆 | 读书;哲学"
    bot = BotProcess(write_config(tmp_path, sandbox, db_url)).start()
    try:
        bot.wait_polling(sandbox)
        sandbox.push_update({"message": message_json(line, ORGANIZER)})
        [preview] = sandbox.wait_for("sendMessage", 1, chat_id=ORGANIZER["id"])
        publish = _buttons(preview)["✅ Publish"]
        sandbox.push_update({"callback_query": callback_query_json(publish, ORGANIZER)})
        [post] = sandbox.wait_for("sendMessage", 1, chat_id=COMMUNITY_ID)
        sandbox.wait_for("editMessageText", 1, chat_id=ORGANIZER["id"])
    finally:
        status = bot.stop(signal.SIGTERM)
    assert status == 0, bot.log()
    [salon] = asyncio.run(_salons(db_url))
    link = f"https://t.me/salon_test_bot?start=j_{salon.short_code}"
    assert _buttons(post) == {"🙋 报名": link}
    text = post.params["text"]
    assert text.startswith("📣 新沙龙！\n\n周末读书会\n") and f"/join {salon.short_code}" in text
    assert "静安区图书馆" in text and "#读书 #哲学" in text
    assert salon.status == "published" and salon.announcement_message_id is not None
    assert salon.starts_at == utc_of(start) and salon.capacity == 20
    assert salon.signup_deadline is None and salon.ends_at is None
    assert timedelta(days=5) < salon.starts_at - utc_of(local_in(0, 0, 0)) < timedelta(days=7)
