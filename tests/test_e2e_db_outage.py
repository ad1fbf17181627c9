"""End to end: PostgreSQL stops for 30 s under the running bot, then comes back.

The bot runs against a private PostgreSQL server (tests/private_pg.py), never the shared one,
which is stopped with `pg_ctl stop -m fast` (open sessions are terminated, new connections are
refused) and started again 30 s later. Meanwhile members chat and use commands. Checked: the
process stays up, members are told to try again shortly, activity logged during the outage is
written after it, a reminder that fell due during the outage is queued and sent once, and
everything acknowledged before and after is in the database. It needs the PostgreSQL server
binaries, so it runs where PostgreSQL tests run (`SALONBOT_TEST_POSTGRES_URL`, as in CI).
"""

from __future__ import annotations

import asyncio
import json
import signal
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.sandbox.server import BotApiSandbox
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import GroupMessage, OutboxMessage, Signup
from storage.signups import add_signup
from storage.types import utcnow
from tests.conftest import POSTGRES_URL
from tests.e2e import BotProcess, write_config
from tests.imports import fetch
from tests.private_pg import PrivatePostgres, wait_until
from tests.salon_helpers import make_salon
from tests.test_db_outage_handlers import TRY_AGAIN_EN, TRY_AGAIN_ZH
from tests.updates import EN_USER, GROUP, ZH_USER, message_json

pytestmark = pytest.mark.skipif(
    not POSTGRES_URL, reason="PostgreSQL tests are off (SALONBOT_TEST_POSTGRES_URL unset)"
)

OUTAGE_SECONDS = 30.0
BOB = {"id": 1003, "is_bot": False, "first_name": "Bob", "language_code": "en"}


def _run(db_url: str, work):
    async def run():
        engine = create_engine(db_url)
        try:
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _message_ids(db_url: str) -> set[int]:
    return {r[0] for r in fetch(db_url, select(GroupMessage.message_id))}


def _replies(sandbox: BotApiSandbox, user: dict) -> list[str]:
    return [c.params["text"] for c in sandbox.calls_to("sendMessage", chat_id=user["id"])]


def _group(sandbox: BotApiSandbox, texts: list[str], user: dict) -> set[int]:
    ids = set()
    for text in texts:
        message = message_json(text, user, GROUP)
        ids.add(message["message_id"])
        sandbox.push_update({"message": message})
    return ids


def test_the_bot_rides_out_a_30_second_database_outage(tmp_path):
    pg = PrivatePostgres()
    try:
        pg.init().start()
        _outage(tmp_path, pg)
    finally:
        pg.destroy()


def _outage(tmp_path, pg: PrivatePostgres) -> None:
    db_url = pg.url
    upgrade(db_url)
    extra = "[privacy]\nstore_text = true\n"
    with BotApiSandbox() as sandbox:
        bot = BotProcess(write_config(tmp_path, sandbox, db_url, extra)).start()
        try:
            bot.wait_polling(sandbox)  # the community row exists now
            salon = _run(db_url, lambda db: make_salon(db, capacity=10))
            # Before: group chat (one message with a NUL), and a command that succeeds.
            before = _group(sandbox, ["早上好", "bad\x00byte", "hello"], ZH_USER)
            sandbox.push_update({"message": message_json(f"/join {salon.short_code}", EN_USER)})
            sandbox.wait_for("sendMessage", chat_id=EN_USER["id"], timeout=180)
            wait_until(lambda: before <= _message_ids(db_url), timeout=180)

            # A salon whose 24 h reminder to EN falls due ten seconds into the outage.
            async def reminder_salon(db):
                soon = await make_salon(db, title="Outage salon",
                                        starts_in=timedelta(hours=24, seconds=10))  # fmt: skip
                async with db.begin() as session:
                    await add_signup(soon.id, EN_USER["id"], session=session)
                return soon

            soon = _run(db_url, reminder_salon)
            stopped = time.monotonic()
            pg.stop()
            assert not pg.accepting()

            # During: chat keeps coming, commands are answered with "try again shortly".
            during = _group(sandbox, [f"msg {i}" for i in range(5)], EN_USER)
            sandbox.push_update({"message": message_json(f"/join {salon.short_code}", ZH_USER)})
            sandbox.push_update({"message": message_json("/events", BOB)})
            sandbox.wait_for("sendMessage", text=TRY_AGAIN_ZH, chat_id=ZH_USER["id"], timeout=180)
            sandbox.wait_for("sendMessage", text=TRY_AGAIN_EN, chat_id=BOB["id"], timeout=180)
            while time.monotonic() - stopped < OUTAGE_SECONDS:
                assert bot.alive, bot.log()
                time.sleep(0.5)
            assert utcnow() > soon.starts_at - timedelta(hours=24)  # the reminder is due now
            assert not sandbox.calls_to("sendMessage", chat_id=EN_USER["id"])[1:]

            pg.start()
            started = time.monotonic()
            outage = started - stopped
            # After: the same command again works at once; the buffered chat is written.
            sandbox.push_update({"message": message_json(f"/join {salon.short_code}", ZH_USER)})
            wait_until(lambda: len(_replies(sandbox, ZH_USER)) == 2, timeout=180)
            command_back = time.monotonic() - started
            wait_until(lambda: during <= _message_ids(db_url), timeout=180)
            activity_back = time.monotonic() - started
            reminder = sandbox.wait_for("sendMessage", 2, chat_id=EN_USER["id"], timeout=180)
            reminder_back = time.monotonic() - started
            after = _group(sandbox, ["back again"], BOB)
            wait_until(lambda: after <= _message_ids(db_url), timeout=180)
            assert bot.alive, bot.log()
        finally:
            status = bot.stop(signal.SIGTERM)
    log = bot.log()
    assert status == 0, log
    print(json.dumps({"outage_s": round(outage, 1), "command_ok_after_s": round(command_back, 1),
                      "outage_activity_written_after_s": round(activity_back, 1),
                      "due_reminder_sent_after_s": round(reminder_back, 1)}))  # fmt: skip

    zh_replies = _replies(sandbox, ZH_USER)
    assert zh_replies[0] == TRY_AGAIN_ZH and zh_replies[1] != TRY_AGAIN_ZH
    assert "Outage salon" in reminder[1].params["text"]
    assert len(_replies(sandbox, EN_USER)) == 2  # the /join answer and one reminder
    stored = fetch(db_url, select(GroupMessage.message_id, GroupMessage.text))
    assert {m for m, _t in stored} == before | during | after  # nothing acknowledged is lost
    assert "badbyte" in {t for _m, t in stored}
    query = select(Signup.user_id, Signup.status).where(Signup.salon_id == salon.id)
    signups = fetch(db_url, query)
    assert sorted(signups) == [(ZH_USER["id"], "going"), (EN_USER["id"], "going")]
    outbox = fetch(db_url, select(OutboxMessage.kind, OutboxMessage.status))
    assert [tuple(r) for r in outbox] == [("reminder", "sent")]
    assert "could not write" in log and "activity is being written again" in log
    assert "Traceback" not in log  # an outage is logged in lines, not as crashes
