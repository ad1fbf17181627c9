"""The waitlist: claiming a seat offered from it, and lapsing offers whose window ended.

Freed seats are offered by `storage.signups.offer_free_seats` (called by every operation that
frees one); the salon is locked first, as for every seat change (`storage.signups`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Salon, Signup
from storage.models.digest import MOVED_UP
from storage.models.salons import GOING, HELD, LEFT, OFFERED, SALON_PUBLISHED, WAITLIST
from storage.salon_activity import add_activity
from storage.signups import (
    ALREADY,
    CANCELLED,
    CLOSED,
    DEFAULT_HOLD,
    DONE,
    EXPIRED,
    NOT_FOUND,
    NOT_SIGNED_UP,
    STARTED,
    SignupResult,
    change_seats,
    closed_reason,
    get_signup,
    hold_ends,
    is_paid,
    lock_salon,
    offer_free_seats,
)
from storage.types import utcnow


async def claim_offer(
    salon_id: int,
    user_id: int,
    *,
    session: AsyncSession,
    now: datetime | None = None,
    hold: timedelta = DEFAULT_HOLD,
) -> SignupResult:
    """The member takes the seat they were offered, if the offer still stands.

    For a paid salon the offered seat becomes `held` while the member pays.
    """
    now = now or utcnow()
    salon = await lock_salon(salon_id, session=session)
    if salon is None:
        return SignupResult(NOT_FOUND)
    signup = await get_signup(salon_id, user_id, session=session)
    if signup is not None and signup.status in (GOING, HELD):
        return SignupResult(ALREADY, salon, signup.status, signup=signup)
    if signup is None or signup.status != OFFERED:
        return SignupResult(NOT_SIGNED_UP, salon, signup.status if signup else None)
    reason = closed_reason(salon, now)
    if reason in (CANCELLED, STARTED):
        return SignupResult(CLOSED, salon, OFFERED, reason=reason)
    if signup.offer_expires_at is not None and signup.offer_expires_at <= now:
        return SignupResult(EXPIRED, salon, OFFERED)
    if is_paid(salon):
        signup.status, signup.offer_expires_at = HELD, hold_ends(salon, now, hold)
        signup.holds_taken += 1
    else:
        signup.status, signup.offer_expires_at = GOING, None
        await add_activity(salon, MOVED_UP, session=session, user_id=user_id, now=now)
    signup.responded_at = now
    await session.flush()
    return SignupResult(DONE, salon, signup.status, signup=signup)


async def expire_offers(
    *, session: AsyncSession, offer_window: timedelta, now: datetime | None = None
) -> tuple[list[Signup], list[Signup]]:
    """Lapse offers whose window ended and offer every free seat: (lapsed, newly offered).

    Idempotent: a second run finds nothing left to do.
    """
    now = now or utcnow()
    lapsed_ids = select(Signup.salon_id).where(
        Signup.status == OFFERED, Signup.offer_expires_at <= now
    )
    free_with_waitlist = (
        select(Signup.salon_id)
        .join(Salon, Salon.id == Signup.salon_id)
        .where(
            Signup.status == WAITLIST,
            Salon.status == SALON_PUBLISHED,
            Salon.starts_at > now,
            or_(Salon.capacity.is_(None), Salon.going_count < Salon.capacity),
        )
    )
    salon_ids = set(await session.scalars(lapsed_ids)) | set(
        await session.scalars(free_with_waitlist)
    )
    lapsed: list[Signup] = []
    offered: list[Signup] = []
    for salon_id in sorted(salon_ids):
        salon = await lock_salon(salon_id, session=session)
        expired = list(
            await session.scalars(
                select(Signup).where(
                    Signup.salon_id == salon_id,
                    Signup.status == OFFERED,
                    Signup.offer_expires_at <= now,
                )
            )
        )
        for signup in expired:
            signup.status, signup.responded_at = LEFT, now
        if expired:
            await session.flush()
            await change_seats(salon, -len(expired), session=session)
        lapsed += expired
        offered += await offer_free_seats(
            salon, session=session, offer_window=offer_window, now=now
        )
    return lapsed, offered
