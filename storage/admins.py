"""Community chats' administrators, kept for every process (bot/common/roles.py decides)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatAdmins
from storage.upsert import insert_for


async def get_admins(
    chat_id: int, now: datetime, *, session: AsyncSession
) -> frozenset[int] | None:
    """The chat's admins if a list fresher than `now` is stored, else None."""
    row = await session.scalar(
        select(ChatAdmins.user_ids).where(
            ChatAdmins.chat_id == chat_id, ChatAdmins.expires_at > now
        )
    )
    return None if row is None else frozenset(int(u) for u in row)


async def upsert_admins(
    chat_id: int,
    user_ids: frozenset[int],
    *,
    asked_at: datetime,
    expires_at: datetime,
    session: AsyncSession,
) -> bool:
    """Store the admins Telegram named when asked at `asked_at`, until `expires_at` — unless
    a change of admins was seen since (another process dropped the list meanwhile): then the
    answer may already be out of date and nothing is stored. Returns whether it was."""
    values = {"user_ids": sorted(user_ids), "expires_at": expires_at}
    stmt = insert_for(session)(ChatAdmins).values(chat_id=chat_id, **values)
    table = ChatAdmins.__table__
    stmt = stmt.on_conflict_do_update(
        index_elements=["chat_id"],
        set_=values,
        where=or_(table.c.dropped_at.is_(None), table.c.dropped_at < asked_at),
    )
    return (await session.execute(stmt)).rowcount == 1


async def drop_admins(chat_id: int | None, now: datetime, *, session: AsyncSession) -> None:
    """The admins of a chat changed: forget its stored list and refuse lists asked for before
    `now`. With None (someone deleted their data), every chat's list is forgotten, ids
    included."""
    if chat_id is None:
        await session.execute(update(ChatAdmins).values(user_ids=[], expires_at=now))
        return
    values = {"user_ids": [], "expires_at": now, "dropped_at": now}
    stmt = insert_for(session)(ChatAdmins).values(chat_id=chat_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["chat_id"], set_=values))
