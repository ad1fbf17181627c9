"""The outbox: enqueue messages; the dispatcher (bot/outbox/dispatcher.py) claims and sends them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invitation, OutboxMessage
from storage.models.campaigns import INV_CANCELLED, INV_SENT, INV_UNDELIVERABLE, INV_UNKNOWN
from storage.models.outbox import CANCELLED, FAILED, PENDING, SENDING, SENT, UNKNOWN
from storage.redaction import redact_error
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
    message_id = await add_outbox_message(
        dedupe_key, session=session, kind=kind, chat_id=chat_id, payload=payload, method=method,
        user_id=user_id, salon_id=salon_id, not_before=not_before, priority=priority,
    )  # fmt: skip
    return message_id is not None


async def add_outbox_message(
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
) -> int | None:
    """Queue a message once: its id, or None when a message with this key already exists."""
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
        .returning(OutboxMessage.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none()


async def _follow(outbox_ids, status: str, *, session: AsyncSession, **values) -> None:
    """Invitations follow their outbox rows (see storage/models/campaigns.py)."""
    await session.execute(
        update(Invitation)
        .where(Invitation.outbox_id.in_(outbox_ids))
        .values(status=status, **values)
    )


async def count_due(limit: int, *, session: AsyncSession, now: datetime | None = None) -> int:
    """How many pending messages are due now (counting at most `limit`)."""
    now = now or utcnow()
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == PENDING, OutboxMessage.not_before <= now)
        .limit(limit)
        .subquery()
    )
    return int(await session.scalar(select(func.count()).select_from(due)) or 0)


async def claim_due(
    limit: int,
    *,
    session: AsyncSession,
    now: datetime | None = None,
    skip_chats: frozenset[int] = frozenset(),
) -> list[OutboxMessage]:
    """Mark up to `limit` due pending messages `sending` (one per chat) and return them.

    Commit right after: a row is `sending` only while its send is in flight, so rows found
    `sending` by a new leader were interrupted by a crash (see `recover_in_flight`).
    """
    now = now or utcnow()
    query = select(OutboxMessage).where(
        OutboxMessage.status == PENDING, OutboxMessage.not_before <= now
    )
    if skip_chats:
        query = query.where(OutboxMessage.chat_id.not_in(sorted(skip_chats)))
    query = (
        query.order_by(OutboxMessage.priority.desc(), OutboxMessage.not_before, OutboxMessage.id)
        .limit(limit * 4)
        .with_for_update(skip_locked=True)
    )
    chosen: list[OutboxMessage] = []
    chats: set[int] = set()
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
    now = utcnow()
    await _follow([message_id], INV_SENT, session=session, sent_at=now)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(
            status=SENT,
            sent_at=now,
            message_id=telegram_message_id,
            attempts=OutboxMessage.attempts + 1,
        )  # fmt: skip
    )


async def mark_failed(message_id: int, error: str, *, session: AsyncSession) -> None:
    """The message failed for good and is never retried."""
    await _follow([message_id], INV_UNDELIVERABLE, session=session)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=FAILED, last_error=redact_error(error), attempts=OutboxMessage.attempts + 1)
    )


async def mark_unknown(message_id: int, error: str, *, session: AsyncSession) -> None:
    """The send may or may not have been delivered (e.g. a timeout): never resent."""
    await _follow([message_id], INV_UNKNOWN, session=session)
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id)
        .values(status=UNKNOWN, last_error=redact_error(error), attempts=OutboxMessage.attempts + 1)
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
        values["last_error"] = redact_error(error)
    if count_attempt:
        values["attempts"] = OutboxMessage.attempts + 1
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(**values)
    )


async def mark_withdrawn(message_id: int, *, session: AsyncSession) -> None:
    """A claimed message found no longer true when its turn came: cancelled, never sent."""
    await _follow([message_id], INV_CANCELLED, session=session)
    await session.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(status=CANCELLED)
    )


async def recover_in_flight(*, session: AsyncSession) -> int:
    """When a process becomes the leader: rows left `sending` by a crash become `unknown`.

    They are never resent. Only the new leader may call it: a process that merely starts
    while another leads would mark the leader's sends in flight.
    """
    in_flight = select(OutboxMessage.id).where(OutboxMessage.status == SENDING)
    await _follow(in_flight, INV_UNKNOWN, session=session)
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
    cancelled = select(OutboxMessage.id).where(query.whereclause)
    await _follow(cancelled, INV_CANCELLED, session=session)
    result = await session.execute(query.values(status=CANCELLED))
    return result.rowcount
