"""Enqueueing messages. The dispatcher (bot/dispatcher.py) claims and sends them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.types import utcnow
from storage.upsert import insert_for


async def enqueue(
    dedupe_key: str,
    *,
    session: AsyncSession,
    kind: str,
    chat_id: int,
    payload: dict,
    method: str = "sendMessage",
    user_id: int | None = None,
    salon_id: int | None = None,
    not_before: datetime | None = None,
    priority: int = 0,
) -> bool:
    """Queue a message once: returns False when a message with this key already exists."""
    insert = insert_for(session)
    stmt = (
        insert(OutboxMessage)
        .values(
            dedupe_key=dedupe_key[:200],
            kind=kind,
            chat_id=chat_id,
            user_id=user_id,
            salon_id=salon_id,
            method=method,
            payload=payload,
            status="pending",
            priority=priority,
            not_before=not_before or utcnow(),
            attempts=0,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    result = await session.execute(stmt)
    return result.rowcount == 1
