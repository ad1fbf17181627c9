"""Daily activity rollups: counted in Python per batch, then added in one upsert each.

Two tables: per member (`activity_daily`, what the models read) and per community
(`activity_community_daily`, what /stats reads), both from the same increments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.bulk import execute_many
from storage.models.activity import COUNTERS, HOURS, activity_daily
from storage.models.community_daily import activity_community_daily

COLUMNS = COUNTERS + HOURS
(MESSAGES, CHARS, REPLIES_SENT, REPLIES_RECEIVED, REACTIONS_GIVEN, REACTIONS_RECEIVED) = range(6)
FIRST_HOUR = len(COUNTERS)

MAX_COUNTED_LENGTH = 65_536


class Rollups:
    """Increments per (community, user, UTC day), added to `activity_daily` in one statement."""

    def __init__(self) -> None:
        self.days: dict[tuple[int, int, date], list[int]] = {}

    def _row(self, community_id: int, user_id: int, day: date) -> list[int]:
        key = (community_id, user_id, day)
        row = self.days.get(key)
        if row is None:
            row = self.days[key] = [0] * len(COLUMNS)
        return row

    def message(
        self,
        community_id: int,
        user_id: int,
        sent_at: datetime,
        length: int,
        reply_to_user_id: int | None,
    ) -> None:
        """Count a new message (and the reply it is, unless to oneself)."""
        sent_at = sent_at.astimezone(UTC)
        row = self._row(community_id, user_id, sent_at.date())
        row[MESSAGES] += 1
        # A message counts at most MAX_COUNTED_LENGTH characters (Telegram's own limit is
        # 4096): an imported absurd length must not overflow the day's 32-bit total.
        row[CHARS] += min(max(length, 0), MAX_COUNTED_LENGTH)
        row[FIRST_HOUR + sent_at.hour] += 1
        if reply_to_user_id is not None and reply_to_user_id != user_id:
            row[REPLIES_SENT] += 1
            self._row(community_id, reply_to_user_id, sent_at.date())[REPLIES_RECEIVED] += 1

    def reaction(
        self, community_id: int, user_id: int, reacted_at: datetime, target_user_id: int | None
    ) -> None:
        """Count a reaction given (and received by the author, unless it is oneself)."""
        if target_user_id == user_id:
            return
        day = reacted_at.astimezone(UTC).date()
        self._row(community_id, user_id, day)[REACTIONS_GIVEN] += 1
        if target_user_id is not None:
            self._row(community_id, target_user_id, day)[REACTIONS_RECEIVED] += 1

    def __len__(self) -> int:
        return len(self.days)


async def add_rollups(rollups: Rollups, *, session: AsyncSession) -> None:
    """Add the counted increments to the stored rollups (SQLite and PostgreSQL alike)."""
    if not rollups.days:
        return
    rows = [
        {"community_id": c, "user_id": u, "day": d, **dict(zip(COLUMNS, counts, strict=True))}
        for (c, u, d), counts in sorted(rollups.days.items())  # one lock order: no deadlocks
    ]
    await execute_many(session, activity_daily, _add_increments, rows)
    totals: dict[tuple[int, date], list[int]] = {}
    for (c, _u, d), counts in rollups.days.items():
        total = totals.setdefault((c, d), [0] * (2 + len(HOURS)))
        total[0] += counts[MESSAGES]
        total[1] += counts[REACTIONS_GIVEN]
        for hour in range(len(HOURS)):
            total[2 + hour] += counts[FIRST_HOUR + hour]
    names = ("messages", "reactions", *HOURS)
    community_rows = [
        {"community_id": c, "day": d, **dict(zip(names, counts, strict=True))}
        for (c, d), counts in sorted(totals.items())
    ]
    await execute_many(session, activity_community_daily, _add_community_increments,
                       community_rows)  # fmt: skip


def _add_community_increments(insert):
    stmt = insert(activity_community_daily)
    names = ("messages", "reactions", *HOURS)
    set_ = {name: activity_community_daily.c[name] + stmt.excluded[name] for name in names}
    return stmt.on_conflict_do_update(index_elements=["community_id", "day"], set_=set_)


def _add_increments(insert):
    stmt = insert(activity_daily)
    set_ = {name: activity_daily.c[name] + stmt.excluded[name] for name in COLUMNS}
    return stmt.on_conflict_do_update(index_elements=["community_id", "user_id", "day"], set_=set_)
