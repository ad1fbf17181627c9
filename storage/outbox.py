"""The outbox: enqueue messages; the dispatcher (bot/dispatcher.py) claims, sends, marks them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage
from storage.models.outbox import CANCELLED, FAILED, PENDING, SENDING, SENT, UNKNOWN
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


async def claim_due(
    limit: int,
    *,
    session: AsyncSession,
    now: datetime | None = None,
    skip_chats: frozenset[int] = frozenset(),
) -> list[OutboxMessage]:
    """Mark up to `limit` due pending messages `sending` (one per chat) and return them.

    Commit right after: a row is `sending` only while its send is in flight, so rows found
    `sending` at startup were interrupted by a crash (see `recover_in_flight`).
    """
    now = now or utcnow()
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING, OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.priority.desc(), OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit * 4)
        .with_for_update(skip_locked=True)
    )
    chosen: list[OutboxMessage] = []
    chats: set[int] = set(skip_chats)
    for row in await session.scalars(query):
        if row.chat_id in chats:
            continue
        chats.add(row.chat_id)
        chosen.append(row)
        if len(chosen) == limit:
            break
    for row in chosen:
        row.status = SENDING
    await session.flush()
    return chosen


async def mark_sent(
    message_id: int, *, session: AsyncSession, telegram_message_id: int | None = None
) -> None:
    """The message was delivered."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            status=SENT,
            sent_at=utcnow(),
            message_id=telegram_message_id,
            attempts=OutboxMessage.attempts + 1,
        )  # fmt: skip
    )


async def mark_failed(message_id: int, error: str, *, session: AsyncSession) -> None:
    """The message failed for good and is never retried."""
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=FAILED, last_error=error[:500], attempts=OutboxMessage.attempts + 1)
    )


async def mark_retry(
    message_id: int,
    not_before: datetime,
    *,
    session: AsyncSession,
    error: str | None = None,
    count_attempt: bool = True,
) -> None:
    """Back to pending, not before `not_before` (`count_attempt=False` for flood waits)."""
    values: dict = {"status": PENDING, "not_before": not_before}
    if error is not None:
        values["last_error"] = error[:500]
    if count_attempt:
        values["attempts"] = OutboxMessage.attempts + 1
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
    )


async def recover_in_flight(*, session: AsyncSession) -> int:
    """At startup: rows left `sending` by a crash become `unknown` (never resent)."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == SENDING)
        .values(status=UNKNOWN, last_error="in flight when the process stopped")
    )
    return result.rowcount


async def cancel_pending(
    *,
    session: AsyncSession,
    salon_id: int,
    user_id: int | None = None,
    kinds: tuple[str, ...] | None = None,
) -> int:
    """Cancel queued messages about a salon (for one member, of some kinds) not yet sent."""
    query = update(OutboxMessage).where(
        OutboxMessage.status == PENDING, OutboxMessage.salon_id == salon_id
    )
    if user_id is not None:
        query = query.where(OutboxMessage.user_id == user_id)
    if kinds is not None:
        query = query.where(OutboxMessage.kind.in_(kinds))
    result = await session.execute(query.values(status=CANCELLED))
    return result.rowcount
