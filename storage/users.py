"""Users, communities and memberships."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.bulk import execute_many
from storage.memberships import Sighting, upsert_memberships
from storage.models import DM_BLOCKED, DM_REACHABLE, Community, Membership, User
from storage.redaction import redact_error
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


_LANGUAGE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


def _text(value: str | None, length: int) -> str | None:
    """Profile text as a column can hold it: no NUL (PostgreSQL refuses it), cut to length."""
    value = (value or "").replace("\x00", "")[:length]
    return value or None


def _language(code: str | None) -> str | None:
    """An IETF language tag of at most 16 characters, or None for anything else."""
    return code if code and len(code) <= 16 and _LANGUAGE.match(code) else None


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
        "first_name": _text(info.first_name, 128) or "",
        "last_name": _text(info.last_name, 128),
        "username": _text(info.username, 64),
        "language_code": _language(info.language_code),
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
        .values(dm_status=DM_BLOCKED, dm_reason=redact_error(reason), dm_checked_at=utcnow())
    )


async def list_user_communities(user_id: int, *, session: AsyncSession) -> list[int]:
    """Ids of the communities the user currently belongs to."""
    rows = await session.scalars(
        select(Membership.community_id).where(
            Membership.user_id == user_id, Membership.is_member.is_(True)
        )
    )
    return list(rows)


def _user_row(user_id: int, info: UserInfo | None, now: datetime) -> dict:
    info = info or UserInfo(user_id)
    return {
        "id": user_id,
        "first_name": _text(info.first_name, 128) or "",
        "last_name": _text(info.last_name, 128),
        "username": _text(info.username, 64),
        "language_code": _language(info.language_code),
        "is_bot": info.is_bot,
        "updated_at": now,
    }


async def upsert_users(users: Iterable[UserInfo], *, session: AsyncSession) -> None:
    """Create or refresh many users at once (names and language as Telegram last showed them)."""
    now = utcnow()
    # One row per user (a statement may not update a row twice), in one lock order.
    unique = {u.id: u for u in users}
    rows = [_user_row(user_id, unique[user_id], now) for user_id in sorted(unique)]
    await execute_many(session, User.__table__, _refresh_users, rows)


def _refresh_users(insert):
    stmt = insert(User.__table__)
    names = ("first_name", "last_name", "username", "language_code", "is_bot", "updated_at")
    set_ = {name: stmt.excluded[name] for name in names}
    return stmt.on_conflict_do_update(index_elements=["id"], set_=set_)


async def add_users(users: dict[int, UserInfo | None], *, session: AsyncSession) -> None:
    """Create the users that do not exist yet (imports: stored names are kept as they are)."""
    now = utcnow()
    rows = [_user_row(user_id, users[user_id], now) for user_id in sorted(users)]
    await execute_many(session, User.__table__, _add_new_users, rows)


def _add_new_users(insert):
    return insert(User.__table__).on_conflict_do_nothing(index_elements=["id"])


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
