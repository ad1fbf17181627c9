"""Community chats' administrators, kept for every process (bot/common/roles.py decides)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
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
        )  # fmt: skip
    )
    return None if row is None else frozenset(int(u) for u in row)


async def put_admins(
    chat_id: int, user_ids: frozenset[int], expires_at: datetime, *, session: AsyncSession
) -> None:
    """Store the chat's admins until `expires_at`."""
    values = {"user_ids": sorted(user_ids), "expires_at": expires_at}
    stmt = insert_for(session)(ChatAdmins).values(chat_id=chat_id, **values)
    await session.execute(stmt.on_conflict_do_update(index_elements=["chat_id"], set_=values))


async def forget_admins(chat_id: int | None = None, *, session: AsyncSession) -> None:
    """Drop the stored admins of a chat (of every chat with None): they are asked again."""
    stmt = delete(ChatAdmins)
    if chat_id is not None:
        stmt = stmt.where(ChatAdmins.chat_id == chat_id)
    await session.execute(stmt)
