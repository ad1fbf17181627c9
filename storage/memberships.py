"""Memberships in bulk: who was seen in, joined or left which community, and when."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.bulk import execute_many
from storage.models import Membership

_table = Membership.__table__


def _later(current, new):
    """SQL: the later of two timestamps, either of which may be NULL."""
    return case((new.is_(None), current), (current.is_(None), new), (new > current, new),
                else_=current)  # fmt: skip


def _earlier(current, new):
    """SQL: the earlier of two timestamps, either of which may be NULL."""
    return case((new.is_(None), current), (current.is_(None), new), (new < current, new),
                else_=current)  # fmt: skip


@dataclass(frozen=True)
class Sighting:
    """A user seen in a community between two times (and maybe joining it)."""

    community_id: int
    user_id: int
    first_seen_at: datetime
    last_seen_at: datetime
    joined_at: datetime | None = None
    active_at: datetime | None = None  # a message sent or a reaction given


async def upsert_memberships(sightings: Iterable[Sighting], *, session: AsyncSession) -> None:
    """Record that users were seen in (or joined) communities, in one statement.

    Times never go backwards (an old import cannot undo newer facts): first_seen_at only moves
    earlier, last_seen_at and joined_at only later. A member seen after their last leave is
    a member again.
    """
    merged: dict[tuple[int, int], dict] = {}
    for s in sightings:
        row = merged.get((s.community_id, s.user_id))
        if row is None:
            merged[s.community_id, s.user_id] = {
                "community_id": s.community_id, "user_id": s.user_id,
                "first_seen_at": s.first_seen_at, "last_seen_at": s.last_seen_at,
                "joined_at": s.joined_at, "last_active_at": s.active_at, "is_member": True,
            }  # fmt: skip
            continue
        row["first_seen_at"] = min(row["first_seen_at"], s.first_seen_at)
        row["last_seen_at"] = max(row["last_seen_at"], s.last_seen_at)
        if s.joined_at is not None:
            row["joined_at"] = max(row["joined_at"] or s.joined_at, s.joined_at)
        if s.active_at is not None:
            row["last_active_at"] = max(row["last_active_at"] or s.active_at, s.active_at)
    rows = [merged[key] for key in sorted(merged)]
    if not rows:
        return
    await execute_many(session, _table, _merge_sightings, rows)


def _merge_sightings(insert):
    stmt = insert(_table)
    new, old = stmt.excluded, _table.c
    back = and_(old.left_at.is_not(None), old.left_at <= new.last_seen_at)
    set_ = {
        "first_seen_at": _earlier(old.first_seen_at, new.first_seen_at),
        "last_seen_at": _later(old.last_seen_at, new.last_seen_at),
        "joined_at": _later(old.joined_at, new.joined_at),
        "last_active_at": _later(old.last_active_at, new.last_active_at),
        "is_member": case((old.left_at.is_(None), True), (back, True), else_=old.is_member),
        "left_at": case((back, None), else_=old.left_at),
    }
    return stmt.on_conflict_do_update(index_elements=["community_id", "user_id"], set_=set_)


async def record_leaves(
    leaves: Iterable[tuple[int, int, datetime]], *, session: AsyncSession
) -> None:
    """Members left communities: (community_id, user_id, left_at).

    A leave older than the member's last sighting is history, not news: it changes nothing.
    """
    latest: dict[tuple[int, int], datetime] = {}
    for community_id, user_id, at in leaves:
        latest[community_id, user_id] = max(at, latest.get((community_id, user_id), at))
    rows = [
        {"community_id": c, "user_id": u, "first_seen_at": at, "last_seen_at": at,
         "left_at": at, "is_member": False}
        for (c, u), at in sorted(latest.items())
    ]  # fmt: skip
    if not rows:
        return
    await execute_many(session, _table, _merge_leaves, rows)


def _merge_leaves(insert):
    stmt = insert(_table)
    news = _table.c.last_seen_at <= stmt.excluded.left_at
    set_ = {
        "is_member": case((news, False), else_=_table.c.is_member),
        "left_at": case((news, stmt.excluded.left_at), else_=_table.c.left_at),
    }
    return stmt.on_conflict_do_update(index_elements=["community_id", "user_id"], set_=set_)


async def add_memberships_if_missing(
    members: Iterable[tuple[int, int]], at: datetime, *, session: AsyncSession
) -> None:
    """Memberships (community_id, user_id) known only from a roster: existing ones are kept."""
    rows = [
        {"community_id": c, "user_id": u, "first_seen_at": at, "last_seen_at": at,
         "is_member": True}
        for c, u in members
    ]  # fmt: skip
    await execute_many(session, _table, _insert_missing, rows)


def _insert_missing(insert):
    return insert(_table).on_conflict_do_nothing(index_elements=["community_id", "user_id"])


@dataclass(frozen=True)
class MembershipState:
    """What the database knows about one person in one community."""

    community_id: int
    is_member: bool
    last_seen_at: datetime


async def get_memberships(user_id: int, *, session: AsyncSession) -> dict[int, MembershipState]:
    """The person's membership rows, by community id (current members and those who left)."""
    rows = await session.execute(
        select(_table.c.community_id, _table.c.is_member, _table.c.last_seen_at).where(
            _table.c.user_id == user_id
        )
    )
    return {c: MembershipState(c, bool(m), seen) for c, m, seen in rows}
