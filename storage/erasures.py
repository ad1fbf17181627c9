"""The erasure list: people who deleted their data, and since when.

Deletion removes every row about a person; this list keeps it final. Every writer that could
bring them back checks it first: the activity writer (another member's reply to their old
message, a reaction to it, another process's buffer written after the deletion), the
importers (a re-import of an old export). Nothing dated at or before the erasure is written
again; what the person does afterwards (they keep writing in the group) is new and is logged
like anyone else's, unless they stopped tracking.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.bulk import among, chunks
from storage.models import ErasedUser
from storage.types import utcnow
from storage.upsert import insert_for


async def add_erasure(user_id: int, *, session: AsyncSession, at: datetime | None = None) -> None:
    """Record that the person's data was deleted now (a later deletion moves the time on)."""
    at = at or utcnow()
    stmt = insert_for(session)(ErasedUser).values(user_id=user_id, erased_at=at)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["user_id"], set_={"erased_at": at})
    )


async def get_erasures(user_ids: Iterable[int], *, session: AsyncSession) -> dict[int, datetime]:
    """When each of these people (those on the list) deleted their data."""
    found: dict[int, datetime] = {}
    for chunk in chunks(sorted(set(user_ids))):
        query = select(ErasedUser.user_id, ErasedUser.erased_at).where(
            among(session, ErasedUser.user_id, chunk)
        )
        found.update((user_id, at) for user_id, at in await session.execute(query))
    return found


def erased_before(erasures: dict[int, datetime], user_id: int | None, at: datetime | None) -> bool:
    """Whether a fact about `user_id` dated `at` (None: undated) predates their erasure."""
    if user_id is None or user_id not in erasures:
        return False
    return at is None or at <= erasures[user_id]
