"""A community's current human members and how many of them the bot can reach (/stats).

On SQLite, triggers (revision 0010) keep `community_counts` exact, so the counts are one row
read; elsewhere (PostgreSQL), or if any of the triggers is missing (a migration that rebuilt
a table on SQLite drops its triggers), they are counted from memberships and users.
"""

from __future__ import annotations

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DM_REACHABLE, Membership, User
from storage.models.counts import community_counts

TRIGGERS = frozenset(
    f"tr_community_counts_{name}"
    for name in (
        "community",
        "membership_insert",
        "membership_delete",
        "membership_update",
        "user_insert",
        "user_delete",
        "user_update",
    )
)


async def count_members(community_id: int, *, session: AsyncSession) -> tuple[int, int]:
    """(members known, members reachable): current members who are not bots, and of those
    the ones whose `dm_status` is reachable."""
    if await counters_kept(session=session):
        row = (
            await session.execute(
                select(
                    community_counts.c.members_known, community_counts.c.members_reachable
                ).where(community_counts.c.community_id == community_id)
            )
        ).first()
        if row is not None:
            return int(row[0]), int(row[1])
    return await count_members_by_join(community_id, session=session)


async def counters_kept(*, session: AsyncSession) -> bool:
    """Whether the database keeps `community_counts` (SQLite with all of the triggers)."""
    if session.get_bind().dialect.name != "sqlite":
        return False
    names = await session.scalars(
        text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'tr_community%'")
    )
    return set(names) >= TRIGGERS


async def count_members_by_join(community_id: int, *, session: AsyncSession) -> tuple[int, int]:
    """The same counts from every membership and its user (what the counters must equal)."""
    m = Membership
    row = await session.execute(
        select(func.count(), func.count().filter(User.dm_status == DM_REACHABLE))
        .select_from(m)
        .join(User, User.id == m.user_id)
        .where(m.community_id == community_id, m.is_member.is_(True), User.is_bot.is_(False))
    )
    known, reachable = row.one()
    return int(known), int(reachable)
