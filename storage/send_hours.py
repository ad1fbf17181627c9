"""Each member's messages by hour of day (UTC), from the daily activity rollups."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models.activity import HOURS, activity_daily


async def list_hour_counts(
    community_id: int, user_ids: list[int], since: datetime, *, session: AsyncSession
) -> dict[int, list[int]]:
    """User id -> 24 message counts by UTC hour since `since`, for members with activity."""
    table = activity_daily.c
    result: dict[int, list[int]] = {}
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        rows = await session.execute(
            select(table.user_id, *(func.sum(table[h]) for h in HOURS))
            .where(
                table.community_id == community_id,
                table.user_id.in_(chunk),
                table.day >= since.date(),
            )
            .group_by(table.user_id)
        )
        for user_id, *counts in rows:
            result[int(user_id)] = [int(c or 0) for c in counts]
    return result
