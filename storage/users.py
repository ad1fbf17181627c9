"""Users, communities and memberships."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DM_BLOCKED, DM_REACHABLE, Community, Membership, User
from storage.types import utcnow
from storage.upsert import insert_for


@dataclass(frozen=True)
class UserInfo:
    """Plain values about a Telegram user, pulled out of an update by the bot."""

    id: int
    first_name: str = ""
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False


@dataclass(frozen=True)
class CommunityInfo:
    """A configured community."""

    id: int
    title: str
    timezone: str
    language: str


async def upsert_communities(
    communities: Iterable[CommunityInfo], *, session: AsyncSession
) -> None:
    """Create or update the configured communities."""
    insert = insert_for(session)
    for c in communities:
        values = {"title": c.title, "timezone": c.timezone, "language": c.language}
        stmt = insert(Community).values(id=c.id, **values)
        await session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))


async def upsert_user(info: UserInfo, *, session: AsyncSession) -> None:
    """Create the user or refresh their name and language."""
    insert = insert_for(session)
    values = {
        "first_name": info.first_name[:128],
        "last_name": (info.last_name or None) and info.last_name[:128],
        "username": info.username,
        "language_code": info.language_code,
        "is_bot": info.is_bot,
        "updated_at": utcnow(),
    }
    stmt = insert(User).values(id=info.id, created_at=utcnow(), dm_status="unknown", **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=values))


async def get_user(user_id: int, *, session: AsyncSession) -> User | None:
    """The stored user, if any."""
    return await session.get(User, user_id)


async def mark_started(user_id: int, *, session: AsyncSession, at: datetime | None = None) -> None:
    """The user started the bot in a private chat: the bot can reach them now."""
    at = at or utcnow()
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(dm_status=DM_REACHABLE, dm_reason=None, dm_checked_at=at, started_at=at)
    )


async def mark_unreachable(user_id: int, reason: str, *, session: AsyncSession) -> None:
    """A private message failed for good (blocked, deactivated, never started)."""
    await session.execute(
        update(User)
        .where(User.id == user_id)
        .values(dm_status=DM_BLOCKED, dm_reason=reason[:200], dm_checked_at=utcnow())
    )


async def list_user_communities(user_id: int, *, session: AsyncSession) -> list[int]:
    """Ids of the communities the user currently belongs to."""
    rows = await session.scalars(
        select(Membership.community_id).where(
            Membership.user_id == user_id, Membership.is_member.is_(True)
        )
    )
    return list(rows)


async def upsert_users(users: Iterable[UserInfo], *, session: AsyncSession) -> None:
    """Create or refresh many users at once (names and language as Telegram last showed them)."""
    now = utcnow()
    rows = [
        {
            "id": u.id,
            "first_name": u.first_name[:128],
            "last_name": (u.last_name or None) and u.last_name[:128],
            "username": u.username,
            "language_code": u.language_code,
            "is_bot": u.is_bot,
            "updated_at": now,
        }
        # One row per user (a statement may not update a row twice), in one lock order.
        for u in sorted({u.id: u for u in users}.values(), key=lambda u: u.id)
    ]
    if not rows:
        return
    stmt = insert_for(session)(User.__table__)
    names = ("first_name", "last_name", "username", "language_code", "is_bot", "updated_at")
    set_ = {name: stmt.excluded[name] for name in names}
    await session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=set_), rows)


async def add_user_ids(user_ids: Iterable[int], *, session: AsyncSession) -> None:
    """Make sure users exist when only their ids are known (imports); names stay as they are."""
    rows = [{"id": user_id} for user_id in sorted(set(user_ids))]
    if rows:
        stmt = insert_for(session)(User.__table__).on_conflict_do_nothing(index_elements=["id"])
        await session.execute(stmt, rows)


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
                "joined_at": s.joined_at, "is_member": True,
            }  # fmt: skip
            continue
        row["first_seen_at"] = min(row["first_seen_at"], s.first_seen_at)
        row["last_seen_at"] = max(row["last_seen_at"], s.last_seen_at)
        if s.joined_at is not None:
            row["joined_at"] = max(row["joined_at"] or s.joined_at, s.joined_at)
    rows = [merged[key] for key in sorted(merged)]
    if not rows:
        return
    table = Membership.__table__
    stmt = insert_for(session)(table)
    new = stmt.excluded
    back = and_(table.c.left_at.is_not(None), table.c.left_at <= new.last_seen_at)
    set_ = {
        "first_seen_at": _earlier(table.c.first_seen_at, new.first_seen_at),
        "last_seen_at": _later(table.c.last_seen_at, new.last_seen_at),
        "joined_at": _later(table.c.joined_at, new.joined_at),
        "is_member": case(
            (table.c.left_at.is_(None), True), (back, True), else_=table.c.is_member
        ),  # fmt: skip
        "left_at": case((back, None), else_=table.c.left_at),
    }
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["community_id", "user_id"], set_=set_), rows
    )


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
    table = Membership.__table__
    stmt = insert_for(session)(table)
    news = table.c.last_seen_at <= stmt.excluded.left_at
    set_ = {
        "is_member": case((news, False), else_=table.c.is_member),
        "left_at": case((news, stmt.excluded.left_at), else_=table.c.left_at),
    }
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["community_id", "user_id"], set_=set_), rows
    )


async def upsert_membership(
    community_id: int,
    user_id: int,
    *,
    session: AsyncSession,
    seen_at: datetime | None = None,
    joined_at: datetime | None = None,
) -> None:
    """Record that the user was seen in (or joined) the community."""
    seen_at = seen_at or utcnow()
    await upsert_memberships(
        [Sighting(community_id, user_id, seen_at, seen_at, joined_at)], session=session
    )
