"""The activity buffer under faults: NUL characters, events the database rejects, outages."""

from __future__ import annotations

import logging
import socket
import time
from datetime import timedelta

from sqlalchemy import select, text

from bot.activity.buffer import ActivityBuffer
from storage.db import (
    PG_CONNECT_TIMEOUT_SECONDS,
    create_engine,
    database_unavailable,
    session_factory,
)
from storage.events import ReactionEvent
from storage.models import GroupMessage, User
from tests.test_activity_storage import NOW, C, chat, community


async def _stored(db) -> list[tuple[int, str | None]]:
    async with db.begin() as session:
        rows = await session.execute(
            select(GroupMessage.message_id, GroupMessage.text).order_by(GroupMessage.message_id)
        )
        return [tuple(r) for r in rows]


async def test_nul_characters_are_stripped_so_the_batch_is_written(db):
    await community(db)
    buffer = ActivityBuffer(db, communities=frozenset([C]), store_text=True)
    buffer.add(chat(1, NOW, "before", message_id=1))
    bad = chat(2, NOW, "a\x00b", message_id=2)
    bad.user = bad.user.__class__(2, "N\x00ame", username="u\x00")
    buffer.add(bad)
    buffer.add(ReactionEvent(C, 3, NOW, "\x00👍", message_id=1))
    buffer.add(chat(3, NOW, "after", message_id=3))
    assert await buffer.flush() == 4
    assert buffer.dropped == 0 and buffer.written.reactions == 1
    assert await _stored(db) == [(1, "before"), (2, "ab"), (3, "after")]
    async with db.begin() as session:
        user = await session.get(User, 2)
    assert (user.first_name, user.username) == ("Name", "u")


async def test_an_event_the_database_rejects_costs_only_itself(db, caplog):
    await community(db)
    buffer = ActivityBuffer(db, communities=frozenset([C]), store_text=True)
    for message_id in range(1, 8):
        event = chat(10 + message_id, NOW, f"m{message_id}", message_id=message_id)
        if message_id == 5:  # a chat that is no community: its membership row breaks the FK
            event.community_id = C + 1
        buffer.add(event)
    with caplog.at_level(logging.ERROR):
        assert await buffer.flush() == 6
    assert buffer.dropped == 1 and not buffer.pending
    assert [m for m, _t in await _stored(db)] == [1, 2, 3, 4, 6, 7]
    assert "dropping an activity event the database rejected" in caplog.text
    assert "m5" not in caplog.text  # the log names ids, never the text


class _FlakyFactory:
    """A session factory whose `begin()` fails like a dropped connection for a while."""

    def __init__(self, db, fail_from: int, fail_count: int) -> None:
        self.db, self.calls, self.fail_from, self.fail_count = db, 0, fail_from, fail_count

    def begin(self):
        self.calls += 1
        if self.fail_from <= self.calls < self.fail_from + self.fail_count:
            raise ConnectionRefusedError(111, "Connect call failed")
        return self.db.begin()


async def test_an_outage_while_isolating_a_bad_event_keeps_what_is_unwritten(db, caplog):
    await community(db)
    flaky = _FlakyFactory(db, fail_from=3, fail_count=1)
    buffer = ActivityBuffer(flaky, communities=frozenset([C]), store_text=True)
    for message_id in range(1, 9):
        event = chat(10 + message_id, NOW + timedelta(seconds=message_id), message_id=message_id)
        if message_id == 2:
            event.community_id = C + 1
        buffer.add(event)
    # Call 1: all 8 rejected; call 2: [1..4] rejected; call 3 ([1, 2]) fails: the outage.
    with caplog.at_level(logging.WARNING):
        assert await buffer.flush() == 0
    assert len(buffer.pending) == 8 and buffer.dropped == 0
    assert "keeping them for the next try" in caplog.text
    assert await buffer.flush() == 7  # the database is back: only the bad event is dropped
    assert buffer.dropped == 1 and [m for m, _t in await _stored(db)] == [1, 3, 4, 5, 6, 7, 8]
    assert "activity is being written again" in caplog.text


def test_database_unavailable_tells_outages_from_bad_data():
    from sqlalchemy.exc import IntegrityError, InterfaceError, OperationalError

    class Shutdown(Exception):
        sqlstate = "57P01"  # admin_shutdown, as asyncpg raises it

    assert database_unavailable(ConnectionRefusedError(111, "refused"))
    assert database_unavailable(OperationalError("x", {}, Exception("database is locked")))
    assert database_unavailable(InterfaceError("x", {}, Exception("connection is closed")))
    assert database_unavailable(IntegrityError("x", {}, Shutdown()))  # found through .orig
    assert not database_unavailable(IntegrityError("x", {}, Exception("duplicate key")))
    assert not database_unavailable(ValueError("bad"))


async def test_a_server_that_never_answers_fails_fast_as_unavailable():
    # A listening socket that never accepts: TCP connects, the startup message gets no answer.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        engine = create_engine(f"postgresql+asyncpg://postgres@127.0.0.1:{port}/salonbot")
        start = time.monotonic()
        try:
            async with session_factory(engine).begin() as session:
                await session.execute(text("SELECT 1"))
        except Exception as error:  # which kind of error it is, is what is checked
            failed = error
        finally:
            await engine.dispose()
        elapsed = time.monotonic() - start
    assert database_unavailable(failed)
    assert PG_CONNECT_TIMEOUT_SECONDS <= elapsed + 0.5 < PG_CONNECT_TIMEOUT_SECONDS + 20
