"""End to end: the Bot API fails (5xx, a read timeout, 429) under the real `salonbot run`.

The process must stay up; polling and sending resume by themselves; every queued message is
delivered exactly once, except the one whose answer timed out after Telegram carried it out
(outcome unknown: never resent); a 429's retry_after is respected by every later send.
"""

from __future__ import annotations

import asyncio
import signal

from sqlalchemy import select

from bot.sandbox.server import BotApiSandbox
from storage.db import create_engine, session_factory
from storage.models import GroupMessage, OutboxMessage
from storage.outbox import enqueue
from tests.e2e import BotProcess, write_config
from tests.imports import fetch
from tests.private_pg import wait_until
from tests.updates import EN_USER, GROUP, ZH_USER, message_json

READ_TIMEOUT = 5.0  # PTB's default read timeout for Bot API requests


def _queue(db_url: str, *chat_ids: int) -> None:
    async def run() -> None:
        engine = create_engine(db_url)
        try:
            async with session_factory(engine).begin() as session:
                for chat_id in chat_ids:
                    payload = {"text": f"notice {chat_id}"}
                    await enqueue(f"notice:{chat_id}", session=session, kind="notice",
                                  chat_id=chat_id, payload=payload)  # fmt: skip
        finally:
            await engine.dispose()

    asyncio.run(run())


def _statuses(db_url: str) -> dict[int, str]:
    return dict(fetch(db_url, select(OutboxMessage.chat_id, OutboxMessage.status)))


def _delivered(sandbox: BotApiSandbox, chat_id: int) -> int:
    return sum(1 for c in sandbox.calls_to("sendMessage", chat_id=chat_id) if c.result)


def test_bot_api_errors_never_stop_the_bot_and_never_duplicate(tmp_path, db_url):
    with BotApiSandbox() as sandbox:
        bot = BotProcess(write_config(tmp_path, sandbox, db_url)).start()
        try:
            bot.wait_polling(sandbox)
            # Polling: three 500s in a row, then it resumes; the update sent meanwhile arrives.
            sandbox.fail("getUpdates", 500, "Internal Server Error", times=3)
            chat = message_json("still here?", EN_USER, GROUP)
            sandbox.push_update({"message": chat})
            found = select(GroupMessage.id).where(GroupMessage.message_id == chat["message_id"])
            wait_until(lambda: fetch(db_url, found), timeout=180)

            # Sending: 500s for a while; each queued message goes out once when they stop.
            sandbox.fail("sendMessage", 500, "Internal Server Error", times=3)
            _queue(db_url, 2001, 2002, 2003)
            wait_until(lambda: set(_statuses(db_url).values()) == {"sent"}, timeout=180)
            assert [_delivered(sandbox, c) for c in (2001, 2002, 2003)] == [1, 1, 1]

            # A read timeout after Telegram delivered: unknown, never resent; others go on.
            sandbox.stall("sendMessage", READ_TIMEOUT + 3, times=1)
            _queue(db_url, 2101)
            wait_until(lambda: _statuses(db_url)[2101] == "unknown", timeout=180)
            _queue(db_url, 2102)
            wait_until(lambda: _statuses(db_url)[2102] == "sent", timeout=180)

            # 429: no send at all before retry_after has passed, the limited one included.
            sandbox.fail("sendMessage", 429, "Too Many Requests: retry after 3",
                         times=1, retry_after=3)  # fmt: skip
            _queue(db_url, 2201)
            [limited] = sandbox.wait_for("sendMessage", chat_id=2201, timeout=180)
            _queue(db_url, 2202)
            wait_until(lambda: {_statuses(db_url)[c] for c in (2201, 2202)} == {"sent"}, 60)
            later = [c.at for c in sandbox.calls_to("sendMessage") if c.at > limited.at]
            assert limited.result is None and len(later) == 2
            assert min(later) - limited.at >= 3.0

            # A member's command while replies fail: the process stays up, the next one works.
            sandbox.fail("sendMessage", 502, "Bad Gateway", times=2)
            sandbox.push_update({"message": message_json("/help", EN_USER)})
            sandbox.wait_for("sendMessage", 2, chat_id=EN_USER["id"], timeout=180)
            sandbox.push_update({"message": message_json("/help", EN_USER)})
            wait_until(lambda: _delivered(sandbox, EN_USER["id"]) == 1, timeout=180)
            # A barrier instead of a pause: a notice queued last goes out after anything the
            # dispatcher could still resend, and another member's /help is answered after
            # anything left of the first member's; then nothing more has gone out.
            _queue(db_url, 2301)
            sandbox.push_update({"message": message_json("/help", ZH_USER)})
            wait_until(lambda: _statuses(db_url).get(2301) == "sent", timeout=180)
            sandbox.wait_for("sendMessage", 1, chat_id=ZH_USER["id"], timeout=180)
            assert _delivered(sandbox, EN_USER["id"]) == 1
            once = (2001, 2002, 2003, 2102, 2201, 2202)
            assert [_delivered(sandbox, c) for c in once] == [1] * len(once)
            assert bot.alive, bot.log()
        finally:
            status = bot.stop(signal.SIGTERM)
    log = bot.log()
    assert status == 0, log
    sent = {c: "sent" for c in (2001, 2002, 2003, 2102, 2201, 2202, 2301)}
    assert _statuses(db_url) == {**sent, 2101: "unknown"}
    assert len(sandbox.calls_to("sendMessage", chat_id=2101)) == 1
    assert _delivered(sandbox, 2101) == 1  # it was in fact delivered: a retry would duplicate
    for chat_id in (2001, 2002, 2003, 2102, 2201, 2202):
        assert _delivered(sandbox, chat_id) == 1, chat_id
    assert "outcome unknown" in log and "pausing sends" in log and "flood wait 3 s" in log
    assert "Traceback" not in log
