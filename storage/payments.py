"""Refunds: starting them, the durable retry queue of Stars refunds, and what organizers see.

A Stars refund is a `refund_due` payment row: the refunds tick claims due rows (pushing
`refund_next_at` a lease ahead, so a crash mid-call only delays the retry), calls
refundStarPayment and records the result. Nothing is ever dropped: a refund that keeps
failing stays due, is retried with a growing delay and is reported to the organizers once.
Provider payments cannot be refunded by the bot: they become `manual_refund` and are listed
to the organizers.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Payment, Salon
from storage.models.payments import MANUAL_REFUND, PAID, REFUND_DUE, REFUNDED, STARS
from storage.redaction import redact_error
from storage.types import utcnow

LEASE = timedelta(minutes=5)


async def start_refund(
    payment: Payment, reason: str, *, session: AsyncSession, now: datetime | None = None
) -> None:
    """Mark a paid payment for refund: Stars are refunded by the bot, the rest by hand."""
    now = now or utcnow()
    payment.status = REFUND_DUE if payment.currency == STARS else MANUAL_REFUND
    payment.refund_reason, payment.refund_requested_at = reason, now
    payment.refund_next_at = now if payment.currency == STARS else None
    await session.flush()


async def refund_paid(
    salon_id: int,
    reason: str,
    *,
    session: AsyncSession,
    user_id: int | None = None,
    now: datetime | None = None,
) -> list[Payment]:
    """Start refunding every kept payment for the salon (of one member, if given)."""
    query = select(Payment).where(Payment.salon_id == salon_id, Payment.status == PAID)
    if user_id is not None:
        query = query.where(Payment.user_id == user_id)
    payments = list(await session.scalars(query.order_by(Payment.id).with_for_update()))
    for payment in payments:
        await start_refund(payment, reason, session=session, now=now)
    return payments


async def salons_paid_for(
    user_id: int, *, session: AsyncSession, now: datetime | None = None
) -> list[Salon]:
    """Salons not yet started for which the member holds a paid (unrefunded) payment."""
    rows = await session.scalars(
        select(Salon)
        .join(Payment, Payment.salon_id == Salon.id)
        .where(Payment.user_id == user_id, Payment.status == PAID,
               Salon.starts_at > (now or utcnow()))
        .distinct()
        .order_by(Salon.id)
    )  # fmt: skip
    return list(rows)


async def get_paid(salon_id: int, user_id: int, *, session: AsyncSession) -> list[Payment]:
    """The member's payments for the salon that are kept (not refunded)."""
    query = select(Payment).where(
        Payment.salon_id == salon_id, Payment.user_id == user_id, Payment.status == PAID
    )
    return list(await session.scalars(query.order_by(Payment.id)))


async def claim_due_refunds(
    limit: int, *, session: AsyncSession, now: datetime | None = None
) -> list[Payment]:
    """Up to `limit` Stars refunds due now, leased for `LEASE` (commit before calling out)."""
    now = now or utcnow()
    query = (
        select(Payment)
        .where(Payment.status == REFUND_DUE, Payment.refund_next_at <= now)
        .order_by(Payment.refund_next_at, Payment.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    payments = list(await session.scalars(query))
    for payment in payments:
        payment.refund_next_at = now + LEASE
    await session.flush()
    return payments


async def mark_refunded(
    payment_id: int, *, session: AsyncSession, now: datetime | None = None
) -> Payment | None:
    """The refund went through (a member who deleted their data loses the id only now)."""
    payment = await session.get(Payment, payment_id, with_for_update=True, populate_existing=True)
    if payment is None or payment.status != REFUND_DUE:
        return None
    payment.status, payment.refunded_at = REFUNDED, now or utcnow()
    payment.refund_next_at = None
    if payment.user_erased:
        payment.user_id = None
    await session.flush()
    return payment


async def mark_refund_failed(
    payment_id: int, error: str, retry_at: datetime, *, session: AsyncSession
) -> Payment | None:
    """A refund attempt failed: count it, keep the error, try again at `retry_at`."""
    payment = await session.get(Payment, payment_id, with_for_update=True, populate_existing=True)
    if payment is None or payment.status != REFUND_DUE:
        return None
    payment.refund_attempts += 1
    payment.refund_error, payment.refund_next_at = redact_error(error), retry_at
    await session.flush()
    return payment


async def mark_reported(payment_id: int, *, session: AsyncSession) -> None:
    """The organizers were told that this refund keeps failing."""
    await session.execute(
        update(Payment).where(Payment.id == payment_id).values(refund_reported=True)
    )


async def list_salon_payments(salon_id: int, *, session: AsyncSession) -> list[Payment]:
    """Every payment for the salon, oldest first."""
    query = select(Payment).where(Payment.salon_id == salon_id).order_by(Payment.id)
    return list(await session.scalars(query))
