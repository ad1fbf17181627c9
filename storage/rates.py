"""The per-member limit's counts in the database, so that several processes share one limit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import case
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import MemberRate
from storage.upsert import insert_for

_table = MemberRate.__table__


async def count_hit(
    user_id: int, *, window: timedelta, now: datetime, session: AsyncSession
) -> int:
    """One more update by the member; returns their updates in the current window.

    A fixed window per member, started by their first update after the last one ended; one
    statement, so two processes counting at once both see the right total.
    """
    stmt = insert_for(session)(_table).values(user_id=user_id, window_start=now, hits=1)
    expired = _table.c.window_start <= now - window
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id"],
        set_={
            "hits": case((expired, 1), else_=_table.c.hits + 1),
            "window_start": case((expired, now), else_=_table.c.window_start),
        },
    ).returning(_table.c.hits)
    return int((await session.execute(stmt)).scalar_one())
