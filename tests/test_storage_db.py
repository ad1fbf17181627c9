"""The SQLite engine: writers take turns fairly, so a burst of flushes cannot starve a job."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from storage.db import create_engine, session_factory


async def test_a_waiting_transaction_gets_in_while_another_task_writes_back_to_back(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/fair.db")
    db = session_factory(engine)
    async with db.begin() as session:
        await session.execute(text("CREATE TABLE t (who TEXT)"))
    hog_done = 0
    stop, warmed_up = asyncio.Event(), asyncio.Event()

    async def hog() -> None:  # an activity buffer flushing chunk after chunk
        nonlocal hog_done
        while not stop.is_set():
            async with db.begin() as session:
                await session.execute(text("INSERT INTO t VALUES ('hog')"))
                await asyncio.sleep(0.02)  # the chunk takes a while to write
            hog_done += 1
            if hog_done == 2:
                warmed_up.set()

    writer = asyncio.create_task(hog())
    await warmed_up.wait()
    before = hog_done
    # Starving would show as "database is locked" after the 30 s busy timeout; the count of
    # the hog's transactions below, not the time, is what is asserted.
    async with asyncio.timeout(60):
        async with db.begin() as session:  # a scheduled job
            await session.execute(text("INSERT INTO t VALUES ('job')"))
    waited_for = hog_done - before
    stop.set()
    await writer
    await engine.dispose()
    # First come, first served: the job waits for at most the hog's current transaction and
    # the one it had already queued, not for the whole burst.
    assert waited_for <= 2


async def test_a_second_process_still_waits_on_the_busy_timeout_not_an_error(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/two.db"
    first, second = create_engine(url), create_engine(url)  # two processes' engines
    async with session_factory(first).begin() as session:
        await session.execute(text("CREATE TABLE t (x INTEGER)"))

    locked = asyncio.Event()

    async def hold() -> None:
        async with session_factory(first).begin() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))
            locked.set()
            await asyncio.sleep(0.3)  # the other process's write waits on the busy timeout

    holder = asyncio.create_task(hold())
    await locked.wait()
    async with session_factory(second).begin() as session:  # waits for the lock, then writes
        await session.execute(text("INSERT INTO t VALUES (2)"))
    await holder
    async with session_factory(second).begin() as session:
        assert (await session.scalar(text("SELECT count(*) FROM t"))) == 2
    await first.dispose()
    await second.dispose()
