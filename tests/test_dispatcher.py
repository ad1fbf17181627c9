"""The outbox dispatcher: pacing, flood waits, blocked users, retries, crash recovery."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select, update

from bot.app import build_app
from bot.common.config import MessagingConfig
from bot.outbox.dispatcher import Dispatcher, dispatch_once
from storage.models import DM_BLOCKED, OutboxMessage, User
from storage.outbox import claim_due, enqueue
from storage.types import utcnow
from tests.fakes import FakeRequest
from tests.salon_helpers import make_users, member


async def _queue(db, *chat_ids, kind="notice"):
    async with db.begin() as session:
        for index, chat_id in enumerate(chat_ids):
            payload = {"text": f"hi {index}"}
            await enqueue(f"{kind}:{chat_id}:{index}", session=session, kind=kind,
                          chat_id=chat_id, user_id=chat_id, payload=payload)  # fmt: skip


async def _rows(db):
    async with db.begin() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def test_one_message_per_chat_interval_and_global_spacing(app, fake_request, db):
    # A long per-chat interval: however slow a loaded machine is, chat 11 cannot come due again
    # by itself between the ticks below.
    dispatcher = Dispatcher(MessagingConfig(global_rate_per_second=8, per_chat_interval_seconds=60))
    await _queue(db, 11, 11, 11, 12, 13, 14, 15, 16)
    assert await dispatch_once(app.bot, db, dispatcher) == 4  # 8/s * 0.5 s, one per chat
    assert [c.params["chat_id"] for c in fake_request.calls_to("sendMessage")] == [11, 12, 13, 14]
    times = [c.at for c in fake_request.calls_to("sendMessage")]
    # Never faster than the pace: the i-th send waits for its slot, 1/8 s after the previous
    # slot (a send delayed by load may be followed closely by the next, never overtaken).
    assert all(t - times[0] >= i / 8 - 0.02 for i, t in enumerate(times))
    assert await dispatch_once(app.bot, db, dispatcher) == 2  # 15, 16; chat 11 must wait
    dispatcher.last_sent[11] = time.monotonic() - 61
    assert await dispatch_once(app.bot, db, dispatcher) == 1
    assert [r.status for r in await _rows(db)].count("sent") == 7


async def test_retry_after_pauses_and_reschedules(app, fake_request, db, config):
    fake_request.api.fail("sendMessage", 429, "Too Many Requests: retry after 7",
                          times=1, retry_after=7)  # fmt: skip
    await _queue(db, 21, 22)
    dispatcher = Dispatcher(MessagingConfig(global_rate_per_second=2))  # one per tick
    assert await dispatch_once(app.bot, db, dispatcher) == 0
    first, second = await _rows(db)
    assert (first.status, first.attempts) == ("pending", 0)
    assert first.not_before > utcnow() + timedelta(seconds=5)
    assert dispatcher.paused_until > time.monotonic() + 5
    assert await dispatch_once(app.bot, db, dispatcher) == 0  # paused: no call at all
    assert len(fake_request.calls_to("sendMessage")) == 1
    dispatcher.paused_until = 0
    assert await dispatch_once(app.bot, db, dispatcher) == 1  # the other one is due
    assert [r.status for r in await _rows(db)] == ["pending", "sent"]


async def test_forbidden_marks_user_unreachable_and_row_failed(app, fake_request, db):
    await make_users(db, [member(31)])
    fake_request.api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")
    await _queue(db, 31)
    await dispatch_once(app.bot, db, Dispatcher(MessagingConfig()))
    [row] = await _rows(db)
    assert row.status == "failed" and "blocked" in row.last_error
    async with db.begin() as session:
        assert (await session.get(User, 31)).dm_status == DM_BLOCKED


async def test_a_lone_network_error_backs_off_then_gives_up_bad_requests_fail_at_once(
    app, fake_request, db
):
    dispatcher = Dispatcher(MessagingConfig(max_attempts=2))
    fake_request.api.fail("sendMessage", 502, "Bad Gateway", chat_id=41)  # only this message
    await _queue(db, 41, 42)
    await dispatch_once(app.bot, db, dispatcher)
    first, second = await _rows(db)
    assert (first.status, first.attempts) == ("pending", 1) and first.not_before > utcnow()
    assert dispatcher.paused_until > time.monotonic()  # every send waits a moment
    dispatcher.paused_until = 0
    await dispatch_once(app.bot, db, dispatcher)  # the other message goes through
    async with db.begin() as session:
        await session.execute(update(OutboxMessage).values(not_before=utcnow()))
    dispatcher.last_sent.clear()
    dispatcher.paused_until = 0
    await dispatch_once(app.bot, db, dispatcher)  # others are delivered: it is this message
    assert [(r.status, r.attempts) for r in await _rows(db)] == [("failed", 2), ("sent", 1)]
    fake_request.api.fail("sendMessage", 400, "Bad Request: chat not found")
    await _queue(db, 43)
    dispatcher.paused_until = 0
    await dispatch_once(app.bot, db, dispatcher)
    assert [(r.status, r.attempts) for r in await _rows(db)][2] == ("failed", 1)


async def test_messages_in_flight_at_a_crash_become_unknown_and_are_never_resent(config, db):
    request = FakeRequest()
    app = build_app(config, request=request)
    await app.initialize()
    await app.post_init(app)
    await _queue(db, 51, 52)
    async with db.begin() as session:
        [claimed] = await claim_due(1, session=session)  # "sending" ... and the process dies
    await app.post_shutdown(app)
    await app.shutdown()

    restarted = build_app(config, request=request)
    await restarted.initialize()
    await restarted.post_init(restarted)
    dispatcher = Dispatcher(MessagingConfig())
    assert await dispatch_once(restarted.bot, db, dispatcher) == 1
    assert await dispatch_once(restarted.bot, db, dispatcher) == 0
    rows = {r.id: r.status for r in await _rows(db)}
    assert rows[claimed.id] == "unknown" and sorted(rows.values()) == ["sent", "unknown"]
    assert [c.params["chat_id"] for c in request.calls_to("sendMessage")] == [52]
    await restarted.post_shutdown(restarted)
    await restarted.shutdown()
