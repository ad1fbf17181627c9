"""The activity buffer: events wait in memory and are written in batches, off the hot path.

The tracker handler only appends plain values here. A flush (every `FLUSH_SECONDS` through
the JobQueue, as soon as `batch_size` events are pending, and at shutdown) writes them in
one transaction per chunk. When the database is unreachable the events stay and the next
flush retries; beyond `max_pending` the oldest are dropped, logged and counted. A batch the
database rejects (bad data, not an outage) is halved until the event at fault is found, so one
bad event costs only itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker

from storage.activity import ActivityCounts, add_activity
from storage.db import database_unavailable
from storage.events import Event
from storage.types import utcnow

logger = logging.getLogger(__name__)

FLUSH_SECONDS = 0.5
BATCH_SIZE = 500
MAX_PENDING = 200_000
CHUNK = 2_000  # events per transaction: bounds how long one flush step holds the loop
RETRY_SECONDS = 1.0  # after a failed flush, only the periodic job retries for this long


class ActivityBuffer:
    """Activity events waiting to be written; created in `start_services`."""

    def __init__(
        self,
        db: async_sessionmaker,
        *,
        communities: frozenset[int],
        store_text: bool = False,
        retention_days: int = 90,
        batch_size: int = BATCH_SIZE,
        max_pending: int = MAX_PENDING,
        chunk: int = CHUNK,
    ) -> None:
        self.db = db
        self.communities = communities
        self.store_text = store_text
        self.retention = timedelta(days=retention_days)
        self.batch_size = batch_size
        self.max_pending = max_pending
        self.chunk = chunk
        self.pending: deque[Event] = deque()
        self.dropped = 0
        self.written = ActivityCounts()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task | None = None
        self._retry_at = 0.0
        self._warn_at = 0.0  # when failing: the next time a failure may be logged

    def add(self, event: Event) -> None:
        """Queue one event (cheap: no I/O); start a flush when a batch is full."""
        pending = self.pending
        if len(pending) >= self.max_pending:
            pending.popleft()
            self._count_dropped(1)
        pending.append(event)
        if len(pending) >= self.batch_size and time.monotonic() >= self._retry_at:
            self.flush_soon()

    def forget(self, user_id: int) -> int:
        """Drop the member's pending events and links to them (their data is being deleted)."""
        before = len(self.pending)
        kept = deque(e for e in self.pending if getattr(e, "user_id", None) != user_id)
        for event in kept:
            if getattr(event, "reply_to_user_id", None) == user_id:
                event.reply_to_user_id, event.reply_to = None, None
            if getattr(event, "target_user_id", None) == user_id:
                event.target_user_id = None
        self.pending = kept
        return before - len(kept)

    def flush_soon(self) -> None:
        """Start a flush in the background unless one is running (never waits)."""
        if self._task is None and self.pending:
            self._task = asyncio.get_running_loop().create_task(self._flush_task())

    async def _flush_task(self) -> None:
        try:
            await self.flush()
        finally:
            self._task = None

    async def flush(self) -> int:
        """Write everything pending, a chunk per transaction; returns how many were written."""
        async with self._lock:
            done = 0
            while self.pending:
                size = min(len(self.pending), self.chunk)
                batch = [self.pending.popleft() for _ in range(size)]
                written, unwritten, error = await self._write(batch)
                done += written
                if error is not None:  # the database is unreachable: keep the rest, retry later
                    self.pending.extendleft(reversed(unwritten))
                    self._trim()
                    self._failed(error)
                    return done
                if self._warn_at:
                    logger.warning("activity is being written again")
                    self._warn_at = 0.0
            return done

    async def _write(self, batch: list[Event]) -> tuple[int, list[Event], BaseException | None]:
        """Write `batch`, isolating events the database rejects (halving until found).

        Returns how many were written, and the events left unwritten with the error when the
        database became unreachable (the caller keeps them); a rejected event is dropped.
        """
        written = 0
        parts = deque([batch])
        while parts:
            part = parts.popleft()
            try:
                async with self.db.begin() as session:
                    counts = await add_activity(
                        part,
                        session=session,
                        store_text=self.store_text,
                        text_since=utcnow() - self.retention,
                    )
            except Exception as error:
                if database_unavailable(error):
                    return written, [event for p in (part, *parts) for event in p], error
                if len(part) > 1:  # a batch the database rejects: find the event(s) at fault
                    middle = len(part) // 2
                    parts.extendleft([part[middle:], part[:middle]])
                    continue
                # One event the database rejects would be rejected forever: drop it (ids only,
                # the error text may quote the message).
                event = part[0]
                logger.error(
                    "dropping an activity event the database rejected (%s, chat %s, user %s)",
                    type(error).__name__, event.community_id, getattr(event, "user_id", None),
                )  # fmt: skip
                self._count_dropped(1, log=False)
                continue
            self.written.add(counts)
            written += len(part)
        return written, [], None

    def _failed(self, error: BaseException) -> None:
        now = time.monotonic()
        self._retry_at = now + RETRY_SECONDS
        if now >= self._warn_at:  # once a minute while the database is down
            self._warn_at = now + 60
            logger.warning(
                "could not write %d activity events (%s); keeping them for the next try",
                len(self.pending), error.__class__.__name__,
            )  # fmt: skip

    async def close(self) -> None:
        """Wait for a running flush, then write what is left (graceful shutdown)."""
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()
        if self.pending:
            logger.error("shutting down with %d activity events unwritten", len(self.pending))

    def _trim(self) -> None:
        excess = len(self.pending) - self.max_pending
        if excess > 0:
            for _ in range(excess):
                self.pending.popleft()
            self._count_dropped(excess)

    def _count_dropped(self, count: int, *, log: bool = True) -> None:
        before = self.dropped
        self.dropped += count
        # Log the first drop and then every 10,000th, not every event.
        if log and (before == 0 or before // 10_000 != self.dropped // 10_000):
            logger.error(
                "activity buffer full (%d events): dropped the oldest, %d in total",
                self.max_pending, self.dropped,
            )  # fmt: skip
