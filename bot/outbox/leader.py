"""Leader election: of several processes on one database, one runs the scheduler and dispatcher.

Every process answers updates. The leader also runs the scheduled ticks and the outbox
dispatcher. On PostgreSQL the leader is the process whose dedicated connection holds a
session-level advisory lock (storage/leader.py); the others retry every
`[leader] interval_seconds`. The leader checks its lock at the same pace and steps down the
moment the check fails; besides, the dispatcher re-checks in the transaction of every claim
(`fence`), so a process that lost the lock never claims another message. On SQLite there is
one process and it always leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession
from telegram.ext import Application

from bot.common.config import LeaderConfig
from bot.common.context import Context
from bot.updates import REPLAY_JOB_PREFIX
from storage.leader import (
    backend_pid,
    get_lock_holder,
    is_postgres,
    lock_engine,
    try_lock,
    unlock,
)
from storage.outbox import recover_in_flight

logger = logging.getLogger(__name__)

# Jobs every process runs (and the replays of its own updates); all others only the leader.
LOCAL_JOBS = frozenset({"activity", "leader"})


def is_local_job(name: str | None) -> bool:
    """Whether a job is this process's own work, run whether or not it leads."""
    return name in LOCAL_JOBS or (name or "").startswith(REPLAY_JOB_PREFIX)


class LockLost(Exception):
    """The lock connection is alive but its session no longer holds the lock."""


class Leadership:
    """This process's part in the election: the lock connection and whether it leads."""

    def __init__(
        self,
        url: str,
        config: LeaderConfig,
        *,
        on_gain: Callable[[], Awaitable[None]],
        on_lose: Callable[[], Awaitable[None]],
    ) -> None:
        """`on_gain` runs before this process starts leading; `on_lose` when it stops."""
        self.url = url
        self.config = config
        self.elected = is_postgres(url)  # False: SQLite, one process, always the leader
        self.is_leader = False
        self.on_gain = on_gain
        self.on_lose = on_lose
        self._engine: AsyncEngine | None = None
        self._connection: AsyncConnection | None = None
        self._pid: int | None = None
        self._announced_standby = False
        self._unreachable = False  # warned that the lock cannot be reached (once per outage)

    async def start(self) -> None:
        """Lead at once on SQLite; on PostgreSQL make the first attempt at the lock."""
        if self.elected:
            self._engine = lock_engine(self.url, keepalive_seconds=self.config.interval_seconds)
            await self.tick()
            if not self.is_leader:
                await self.on_lose()
        else:
            await self.on_gain()
            self.is_leader = True

    async def tick(self) -> None:
        """Standby: try to take the lock. Leader: check it is still ours, else step down."""
        if not self.elected:
            return
        timeout = self.config.interval_seconds
        try:
            if self._connection is None:
                self._connection = await asyncio.wait_for(self._engine.connect(), timeout)
            if self.is_leader:
                holder = await asyncio.wait_for(self._holder(self._connection), timeout)
                if holder != self._pid:
                    raise LockLost(f"the lock is held by server pid {holder}")
            elif await asyncio.wait_for(try_lock(self._connection, self.config.lock_key), timeout):
                await self._take_over()
            elif not self._announced_standby:
                self._announced_standby = True
                logger.info("leader: standby, another process runs the scheduler and dispatcher")
            self._unreachable = False
        except Exception as error:  # noqa: BLE001 - whatever broke, the safe answer is the same
            await self._step_down(error)

    async def _holder(self, connection: AsyncConnection) -> int | None:
        return await get_lock_holder(self.config.lock_key, session=connection)

    async def _take_over(self) -> None:
        self._pid = await backend_pid(self._connection)
        logger.info("leader: this process took the lock (server pid %s); it now runs the "
                    "scheduler and the dispatcher", self._pid)  # fmt: skip
        await self.on_gain()
        self.is_leader = True
        self._announced_standby = False

    async def _step_down(self, error: Exception) -> None:
        was_leader, self.is_leader = self.is_leader, False
        if was_leader:
            logger.warning("leader: lost the lock (%s); scheduler and dispatcher stopped", error)
            await self.on_lose()
        elif not self._unreachable:
            self._unreachable = True
            logger.warning("leader: cannot reach the lock (%s); retrying every %s s",
                           error, self.config.interval_seconds)  # fmt: skip
        await self._close_connection(release=False)

    async def fence(self, session: AsyncSession) -> bool:
        """In a claim's transaction: whether this process still holds the lock."""
        if not self.elected:
            return True
        return self.is_leader and await self._holder(session) == self._pid

    async def _close_connection(self, *, release: bool) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            if release and self._pid is not None:
                await unlock(connection, self.config.lock_key)
            await connection.close()
        except Exception as error:  # noqa: BLE001 - a dead connection cannot be closed cleanly
            logger.debug("leader: closing the lock connection: %s", error)
            with contextlib.suppress(Exception):
                await connection.invalidate()

    async def close(self) -> None:
        """Release the lock (another process takes over at its next attempt).

        Call it after the dispatcher has finished its sends, so the next leader never marks a
        message of ours `unknown` while it is still being sent.
        """
        self.is_leader = False
        await self._close_connection(release=True)
        self._pid = None
        if self._engine is not None:
            await self._engine.dispose()


def make_leadership(app: Application) -> Leadership:
    """The election for this application: leading runs recovery and enables the leader jobs."""
    data = app.bot_data

    async def gain() -> None:
        async with data.db.begin() as session:
            unknown = await recover_in_flight(session=session)
        if unknown:
            logger.warning(
                "%d outbox messages were in flight at the last stop: marked unknown", unknown
            )
        _enable_leader_jobs(app, True)

    async def lose() -> None:
        _enable_leader_jobs(app, False)

    return Leadership(data.config.database.url, data.config.leader, on_gain=gain, on_lose=lose)


def _enable_leader_jobs(app: Application, enabled: bool) -> None:
    """Pause or resume the leader's jobs (a paused APScheduler job has no next run time)."""
    for job in app.job_queue.jobs():
        if not is_local_job(job.name):
            job.enabled = enabled


async def leader_job(context: Context) -> None:
    """Every `[leader] interval_seconds`: take the lock, or check it is still held."""
    await context.bot_data.leader.tick()
