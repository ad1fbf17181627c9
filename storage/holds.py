"""Seats held for paying members: the pre-checkout check, confirming a payment, expiry.

A member who joins a paid salon gets a `held` signup (storage/signups.py) that counts as a
taken seat until `offer_expires_at`. The pre-checkout query only *reads* (it must be answered
within seconds); `settle_payment` decides, with the salon row locked like every seat change,
whether the payment buys the seat or is refunded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Payment, Salon, Signup
from storage.models.digest import PAID as PAID_SEAT
from storage.models.payments import (
    PAID,
    R_ALREADY_PAID,
    R_CANCELLED,
    R_INVALID,
    R_SEAT_GONE,
    R_STARTED,
)
from storage.models.salons import (
    GOING,
    HELD,
    LEFT,
    OFFERED,
    SALON_CANCELLED,
    SALON_PUBLISHED,
    WAITLIST,
)
from storage.payments import start_refund
from storage.salon_activity import add_activity
from storage.signups import get_signup, lock_salon
from storage.types import utcnow
from storage.upsert import insert_for

# Pre-checkout verdicts (anything but OK is a "no" with a reason).
OK, INVALID, NOT_YOURS, NO_HOLD, EXPIRED, PAID_ALREADY, CANCELLED, STARTED, WRONG_AMOUNT = (
    "ok", "invalid", "not_yours", "no_hold", "expired", "paid_already", "cancelled", "started",
    "wrong_amount",
)  # fmt: skip
# Outcomes of settle_payment.
CONFIRMED, REFUNDING, DUPLICATE = "confirmed", "refunding", "duplicate"


@dataclass(frozen=True)
class InvoiceRef:
    """What a (verified) invoice payload names: the hold it pays for and the amount asked."""

    salon_id: int
    user_id: int
    signup_id: int
    amount: int


@dataclass(frozen=True)
class HoldCheck:
    """The pre-checkout verdict, with the salon for the member's message."""

    verdict: str
    salon: Salon | None = None


async def check_hold(
    ref: InvoiceRef,
    *,
    payer_id: int,
    amount: int,
    currency: str,
    session: AsyncSession,
    now: datetime | None = None,
) -> HoldCheck:
    """May `payer_id` pay `amount` `currency` for the hold `ref` names? Reads only."""
    now = now or utcnow()
    if payer_id != ref.user_id:
        return HoldCheck(NOT_YOURS)
    salon = await session.get(Salon, ref.salon_id, populate_existing=True)
    if salon is None or salon.status not in (SALON_PUBLISHED, SALON_CANCELLED):
        return HoldCheck(INVALID)
    if salon.status == SALON_CANCELLED:
        return HoldCheck(CANCELLED, salon)
    if salon.starts_at <= now:
        return HoldCheck(STARTED, salon)
    if amount != ref.amount or amount != salon.price_amount or currency != salon.currency:
        return HoldCheck(WRONG_AMOUNT, salon)
    signup = await get_signup(salon.id, payer_id, session=session)
    if signup is None or signup.id != ref.signup_id:
        return HoldCheck(NO_HOLD, salon)
    if signup.status == GOING:
        return HoldCheck(PAID_ALREADY, salon)
    if signup.status != HELD or signup.offer_expires_at <= now:
        return HoldCheck(EXPIRED, salon)
    return HoldCheck(OK, salon)


@dataclass(frozen=True)
class PaymentIn:
    """A `successful_payment` as plain values; `ref` is None when the payload was not ours."""

    ref: InvoiceRef | None
    payer_id: int
    currency: str
    amount: int
    telegram_charge_id: str
    provider_charge_id: str = ""


@dataclass
class Settled:
    """What a payment did: confirmed the seat, is being refunded, or was seen before."""

    outcome: str
    payment: Payment | None = None
    salon: Salon | None = None
    reason: str | None = None


async def settle_payment(
    paid: PaymentIn, *, session: AsyncSession, now: datetime | None = None
) -> Settled:
    """Record the payment once (per Telegram charge id) and give it the seat, or refund it."""
    now = now or utcnow()
    # The salon is locked before the payment row is written: the row's foreign key would
    # otherwise share-lock the salon and two payments could deadlock taking it.
    salon = await lock_salon(paid.ref.salon_id, session=session) if paid.ref else None
    stmt = (
        insert_for(session)(Payment)
        .values(
            community_id=salon.community_id if salon else None,
            salon_id=salon.id if salon else None,
            user_id=paid.payer_id,
            user_erased=False,
            currency=paid.currency,
            amount=paid.amount,
            telegram_payment_charge_id=paid.telegram_charge_id,
            provider_payment_charge_id=paid.provider_charge_id,
            status=PAID,
            paid_at=now,
            refund_attempts=0,
            refund_reported=False,
        )
        .on_conflict_do_nothing(index_elements=["telegram_payment_charge_id"])
        .returning(Payment.id)
    )
    payment_id = (await session.execute(stmt)).scalar_one_or_none()
    if payment_id is None:
        return Settled(DUPLICATE, salon=salon)
    payment = await session.get(Payment, payment_id)
    reason = await _take_seat(paid, salon, session=session, now=now)
    if reason is None:
        await add_activity(salon, PAID_SEAT, session=session, user_id=paid.payer_id, now=now,
                           detail=f"{paid.amount} {paid.currency}")  # fmt: skip
        return Settled(CONFIRMED, payment, salon)
    await start_refund(payment, reason, session=session, now=now)
    return Settled(REFUNDING, payment, salon, reason)


async def _take_seat(
    paid: PaymentIn, salon: Salon | None, *, session: AsyncSession, now: datetime
) -> str | None:
    """Give the payer their seat; None when done, else why the payment must be refunded."""
    if salon is None or paid.ref.user_id != paid.payer_id or paid.ref.amount != paid.amount:
        return R_INVALID
    if salon.currency != paid.currency or salon.status not in (SALON_PUBLISHED, SALON_CANCELLED):
        return R_INVALID
    if salon.status == SALON_CANCELLED:
        return R_CANCELLED
    if salon.starts_at <= now:
        return R_STARTED
    signup = await get_signup(salon.id, paid.payer_id, session=session)
    if signup is not None and signup.status in (HELD, OFFERED):
        # The seat is already counted in going_count: it only changes hands.
        signup.status, signup.offer_expires_at, signup.responded_at = GOING, None, now
        await session.flush()
        return None
    if signup is not None and signup.status == GOING:
        return R_ALREADY_PAID
    # The hold lapsed (or never was): a seat still free, with nobody waiting ahead, is theirs.
    ahead = select(Signup.id).where(Signup.salon_id == salon.id, Signup.status == WAITLIST)
    if signup is not None and signup.status == WAITLIST:
        ahead = ahead.where(Signup.id < signup.id)
    if await session.scalar(ahead.limit(1)) is not None:
        return R_SEAT_GONE
    taken = await session.execute(
        update(Salon)
        .where(
            Salon.id == salon.id,
            or_(Salon.capacity.is_(None), Salon.going_count < Salon.capacity),
        )
        .values(going_count=Salon.going_count + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        return R_SEAT_GONE
    await session.refresh(salon, ["going_count"])
    if signup is None:
        session.add(Signup(salon_id=salon.id, user_id=paid.payer_id, status=GOING,
                           created_at=now, responded_at=now))  # fmt: skip
    else:
        signup.status, signup.responded_at = GOING, now
        signup.offer_expires_at = signup.waitlisted_at = None
    await session.flush()
    return None


async def expire_holds(*, session: AsyncSession, now: datetime | None = None) -> list[Signup]:
    """Release the seats of holds that ended unpaid (they become `left`); idempotent.

    The freed seats go to the next in line through `storage.waitlist.expire_offers`.
    """
    now = now or utcnow()
    salon_ids = await session.scalars(
        select(Signup.salon_id)
        .where(Signup.status == HELD, Signup.offer_expires_at <= now)
        .distinct()
    )
    lapsed: list[Signup] = []
    for salon_id in sorted(salon_ids):  # one lock order, like every seat change
        salon = await lock_salon(salon_id, session=session)
        ended = list(
            await session.scalars(
                select(Signup)
                .where(
                    Signup.salon_id == salon_id,
                    Signup.status == HELD,
                    Signup.offer_expires_at <= now,
                )
                .execution_options(populate_existing=True)
            )
        )
        for signup in ended:
            signup.status, signup.responded_at = LEFT, now
        if ended:
            await session.flush()
            await session.execute(
                update(Salon)
                .where(Salon.id == salon_id)
                .values(going_count=Salon.going_count - len(ended))
                .execution_options(synchronize_session=False)
            )
            await session.refresh(salon, ["going_count"])
        lapsed += ended
    return lapsed
