"""The dispatcher when the Bot API or the database fails: back off, resume, never duplicate."""

from __future__ import annotations

import math
import time

import httpx
from sqlalchemy import select, update
from telegram.error import NetworkError, TimedOut

from bot.common.config import MessagingConfig
from bot.outbox.delivery import delivery_unknown
from bot.outbox.dispatcher import Dispatcher, dispatch_once
from storage.models import OutboxMessage
from storage.outbox import enqueue
from storage.types import utcnow


async def _queue(db, *chat_ids):
    async with db.begin() as session:
        for chat_id in chat_ids:
            await enqueue(f"notice:{chat_id}", session=session, kind="notice", chat_id=chat_id,
                          user_id=chat_id, payload={"text": f"hello {chat_id}"})  # fmt: skip


async def _rows(db):
    async with db.begin() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _delivered(fake_request, chat_id):
    """sendMessage calls to the chat that Telegram carried out (not answered with an error)."""
    return [c for c in fake_request.calls_to("sendMessage", chat_id=chat_id) if c.result]


async def _due_now(db, dispatcher):
    """Skip the waiting: the pause is over and every pending row is due."""
    dispatcher.paused_until = 0
    dispatcher.last_sent.clear()
    async with db.begin() as session:
        await session.execute(update(OutboxMessage).values(not_before=utcnow()))


async def test_a_run_of_server_errors_pauses_longer_each_time_then_sends_once(
    app, fake_request, db
):
    fake_request.api.fail("sendMessage", 500, "Internal Server Error", times=5)
    dispatcher = Dispatcher(MessagingConfig(max_attempts=2))
    await _queue(db, 61)
    pauses = []
    for _ in range(5):
        assert await dispatch_once(app.bot, db, dispatcher) == 0
        pauses.append(math.ceil(dispatcher.paused_until - time.monotonic()))
        [row] = await _rows(db)
        # Back in the queue, due when the pause ends: an outage is not the message's fault.
        assert row.status == "pending" and row.not_before > utcnow()
        await _due_now(db, dispatcher)
    assert pauses == [1, 2, 4, 8, 16]
    assert await dispatch_once(app.bot, db, dispatcher) == 1
    [row] = await _rows(db)
    assert (row.status, row.attempts, dispatcher.failures) == ("sent", 6, 0)
    assert len(_delivered(fake_request, 61)) == 1
    await _due_now(db, dispatcher)
    assert await dispatch_once(app.bot, db, dispatcher) == 0  # nothing is sent twice
    assert len(fake_request.calls_to("sendMessage")) == 6


async def test_a_timeout_after_the_request_left_is_unknown_and_never_resent(app, fake_request, db):
    fake_request.api.stall("sendMessage", 30, times=1)  # delivered, but the answer is late
    dispatcher = Dispatcher(MessagingConfig())
    await _queue(db, 71, 72)
    await dispatch_once(app.bot, db, dispatcher)
    first, second = await _rows(db)
    assert first.status == "unknown" and "Timed out" in first.last_error
    assert len(_delivered(fake_request, 71)) == 1  # Telegram did deliver it
    for _ in range(3):
        await _due_now(db, dispatcher)
        await dispatch_once(app.bot, db, dispatcher)
    assert [r.status for r in await _rows(db)] == ["unknown", "sent"]
    assert len(fake_request.calls_to("sendMessage", chat_id=71)) == 1  # no duplicate
    assert len(_delivered(fake_request, 72)) == 1


def test_which_failures_leave_the_outcome_unknown():
    def caused(error, cause):
        error.__cause__ = cause
        return error

    assert delivery_unknown(caused(TimedOut(), httpx.ReadTimeout("late")))
    assert delivery_unknown(TimedOut())
    assert delivery_unknown(caused(NetworkError("httpx.ReadError"), httpx.ReadError("reset")))
    assert delivery_unknown(
        caused(NetworkError("httpx.RemoteProtocolError"), httpx.RemoteProtocolError("closed"))
    )
    # The request never reached Telegram, or Telegram answered that it failed: send again.
    assert not delivery_unknown(caused(TimedOut(), httpx.ConnectTimeout("no connection")))
    assert not delivery_unknown(caused(TimedOut(), httpx.PoolTimeout("pool full")))
    assert not delivery_unknown(caused(NetworkError("x"), httpx.ConnectError("refused")))
    assert not delivery_unknown(NetworkError("Internal Server Error"))
    assert not delivery_unknown(NetworkError("Bad Gateway"))


class _DownFor:
    """A session factory whose transactions fail like a stopped database for some calls."""

    def __init__(self, db, calls: range) -> None:
        self.db, self.down, self.count = db, calls, 0

    def begin(self):
        self.count += 1
        if self.count in self.down:
            raise ConnectionRefusedError(111, "Connect call failed")
        return self.db.begin()


async def test_a_send_is_recorded_when_the_database_comes_back(app, fake_request, db, caplog):
    await _queue(db, 81)
    # Calls: 1 counts the due rows, 2 claims; 3 and 4 (recording the send) find it down.
    flaky = _DownFor(db, range(3, 5))
    dispatcher = Dispatcher(MessagingConfig())
    assert await dispatch_once(app.bot, flaky, dispatcher) == 1
    [row] = await _rows(db)
    assert (row.status, row.message_id) == ("sent", _delivered(fake_request, 81)[0].result[
        "message_id"])  # fmt: skip
    assert flaky.count == 5
    assert "will record it when it is back" in caplog.text
