"""Signups: joining, leaving, the waitlist and seat offers.

Every operation that changes who holds a seat first locks the salon row (SELECT ... FOR UPDATE
on PostgreSQL; on SQLite every transaction already holds the write lock, see storage/db.py), so
operations on one salon run one after another and `going_count` (the seats held by `going` and
`offered` signups) never exceeds the capacity. The waitlist is ordered by signup id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Salon, Signup
from storage.models.digest import JOINED, WAITLISTED
from storage.models.digest import LEFT as LEFT_SALON
from storage.models.salons import (
    GOING,
    HELD,
    HOLDS_SEAT,
    LEFT,
    OFFERED,
    SALON_CANCELLED,
    SALON_DRAFT,
    SALON_PUBLISHED,
    SIGNED_UP,
    WAITLIST,
)
from storage.salon_activity import add_activity, note_if_full
from storage.types import utcnow

DEFAULT_HOLD = timedelta(minutes=15)
DEFAULT_OFFER_WINDOW = timedelta(hours=12)
DEFAULT_MAX_HOLDS = 3
# Outcomes of add_signup / cancel_signup / claim_offer.
NOT_FOUND, CLOSED, ALREADY, NOT_SIGNED_UP, DONE, EXPIRED = (
    "not_found", "closed", "already", "not_signed_up", "done", "expired",
)  # fmt: skip
# Why signups are closed.
CANCELLED, STARTED, DEADLINE, UNPUBLISHED = "cancelled", "started", "deadline", "unpublished"
HOLDS_USED = "holds_used"  # the member let `max_holds` holds of this salon run out unpaid


@dataclass
class SignupResult:
    """What an operation did: `outcome`, the member's signup status and waitlist position."""

    outcome: str
    salon: Salon | None = None
    status: str | None = None
    position: int | None = None
    reason: str | None = None
    # Waitlisted members offered a seat as a consequence (the caller notifies them).
    offers: list[Signup] = field(default_factory=list)
    signup: Signup | None = None  # the member's signup (for a held seat's invoice)

    @property
    def seats_left(self) -> int | None:
        """Free seats after the operation (None: unlimited)."""
        if self.salon is None or self.salon.capacity is None:
            return None
        return max(self.salon.capacity - self.salon.going_count, 0)


def is_paid(salon: Salon) -> bool:
    """Whether joining the salon costs money (a seat is then held until paid)."""
    return salon.price_amount > 0 and bool(salon.currency)


def hold_ends(salon: Salon, now: datetime, hold: timedelta) -> datetime:
    """When a hold taken now ends: after `hold`, and never after the start."""
    return min(now + hold, salon.starts_at)


def closed_reason(salon: Salon, now: datetime) -> str | None:
    """Why members can no longer sign up for this salon, or None if they can."""
    if salon.status == SALON_CANCELLED:
        return CANCELLED
    if salon.status == SALON_DRAFT:
        return UNPUBLISHED
    if salon.starts_at <= now:
        return STARTED
    if salon.signup_deadline is not None and salon.signup_deadline <= now:
        return DEADLINE
    return None


async def lock_salon(salon_id: int, *, session: AsyncSession) -> Salon | None:
    """The salon, locked for this transaction so seat changes on it run one at a time."""
    query = (
        select(Salon)
        .where(Salon.id == salon_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).first()


async def get_signup(salon_id: int, user_id: int, *, session: AsyncSession) -> Signup | None:
    """The member's signup for this salon, if any."""
    query = select(Signup).where(Signup.salon_id == salon_id, Signup.user_id == user_id)
    return (await session.scalars(query.execution_options(populate_existing=True))).first()


async def get_waitlist_position(signup: Signup, *, session: AsyncSession) -> int | None:
    """1 for the first in line; None when the signup is not on the waitlist."""
    if signup.status != WAITLIST:
        return None
    return await session.scalar(
        select(func.count()).where(
            Signup.salon_id == signup.salon_id, Signup.status == WAITLIST, Signup.id <= signup.id
        )
    )


async def change_seats(salon: Salon, delta: int, *, session: AsyncSession) -> None:
    """Add `delta` to the salon's taken seats (the salon is locked by the caller)."""
    await session.execute(
        update(Salon)
        .where(Salon.id == salon.id)
        .values(going_count=Salon.going_count + delta)
        .execution_options(synchronize_session=False)
    )
    await session.refresh(salon, ["going_count"])


async def add_signup(
    salon_id: int,
    user_id: int,
    *,
    session: AsyncSession,
    now: datetime | None = None,
    source: str = "self",
    hold: timedelta = DEFAULT_HOLD,
    max_holds: int = DEFAULT_MAX_HOLDS,
    offer_window: timedelta = DEFAULT_OFFER_WINDOW,
) -> SignupResult:
    """Sign the member up: a seat if one is free and nobody waits, else the waitlist.

    For a paid salon the seat is `held` for `hold` while the member pays (the caller sends
    the invoice); `storage.holds` confirms it on payment or releases it when the hold ends.
    A hold that ran out unpaid but was not yet released is renewed by joining again only
    while nobody waits and the member has taken fewer than `max_holds` holds of this salon;
    otherwise the seat is released (offered to the first in line: `offers`) and the member
    joins the back of the line, or is refused (HOLDS_USED) when a new hold would be needed.
    """
    now = now or utcnow()
    salon = await lock_salon(salon_id, session=session)
    if salon is None or salon.status not in (SALON_PUBLISHED, SALON_CANCELLED):
        return SignupResult(NOT_FOUND)
    reason = closed_reason(salon, now)
    if reason:
        return SignupResult(CLOSED, salon, reason=reason)
    existing = await get_signup(salon_id, user_id, session=session)
    if existing is not None and existing.status == HELD and not is_paid(salon):
        # The salon became free while they were paying: the seat they hold is simply theirs.
        existing.status, existing.offer_expires_at, existing.responded_at = GOING, None, now
        await session.flush()
    offers: list[Signup] = []
    waiting = await _first_waiting(salon_id, session=session)
    if existing is not None and existing.status == HELD and existing.offer_expires_at <= now:
        # Not yet released by the tick. The seat stays theirs only if nobody waits for it and
        # they have holds left; else it goes to the line first, as the tick would do.
        if waiting is None and existing.holds_taken < max_holds:
            existing.offer_expires_at = hold_ends(salon, now, hold)
            existing.holds_taken += 1
            await session.flush()
        else:
            offers = await _release(salon, existing, session=session, now=now,
                                    offer_window=offer_window)  # fmt: skip
            waiting = await _first_waiting(salon_id, session=session)
    if existing is not None and existing.status in SIGNED_UP:
        position = await get_waitlist_position(existing, session=session)
        return SignupResult(ALREADY, salon, existing.status, position, signup=existing)
    holds_taken = existing.holds_taken if existing is not None else 0
    if waiting is None and is_paid(salon) and holds_taken >= max_holds:
        return SignupResult(CLOSED, salon, reason=HOLDS_USED, offers=offers)
    if existing is not None:
        # Someone who left (or declined) and comes back joins at the back of the line.
        await session.execute(delete(Signup).where(Signup.id == existing.id))
    status = WAITLIST
    if waiting is None:
        # The salon row is locked, yet the seat is taken with a conditional UPDATE so the
        # count can never pass the capacity even if the lock were lost.
        taken = await session.execute(
            update(Salon)
            .where(
                Salon.id == salon_id,
                or_(Salon.capacity.is_(None), Salon.going_count < Salon.capacity),
            )
            .values(going_count=Salon.going_count + 1)
            .execution_options(synchronize_session=False)
        )
        status = GOING if taken.rowcount == 1 else WAITLIST
    if status == GOING and is_paid(salon):
        status = HELD
    signup = Signup(
        salon_id=salon_id,
        user_id=user_id,
        status=status,
        source=source,
        created_at=now,
        responded_at=now,
        waitlisted_at=now if status == WAITLIST else None,
        offer_expires_at=hold_ends(salon, now, hold) if status == HELD else None,
        holds_taken=holds_taken + (status == HELD),
    )
    session.add(signup)
    await session.flush()
    await session.refresh(salon, ["going_count"])
    position = await get_waitlist_position(signup, session=session)
    if status != HELD:  # a held seat is reported when it is paid for
        kind = JOINED if status == GOING else WAITLISTED
        await add_activity(salon, kind, session=session, user_id=user_id, now=now)
    if status in HOLDS_SEAT:
        await note_if_full(salon, session=session, now=now)
    return SignupResult(DONE, salon, status, position, offers=offers, signup=signup)


async def _first_waiting(salon_id: int, *, session: AsyncSession) -> int | None:
    return await session.scalar(
        select(Signup.id).where(Signup.salon_id == salon_id, Signup.status == WAITLIST).limit(1)
    )


async def cancel_signup(
    salon_id: int,
    user_id: int,
    *,
    session: AsyncSession,
    offer_window: timedelta,
    now: datetime | None = None,
    only: tuple[str, ...] = SIGNED_UP,
) -> SignupResult:
    """Release the member's seat (or waitlist place); a freed seat is offered to the next.

    `only` narrows the statuses released (e.g. only an unpaid hold: a seat paid for meanwhile
    is kept).
    """
    now = now or utcnow()
    salon = await lock_salon(salon_id, session=session)
    if salon is None:
        return SignupResult(NOT_FOUND)
    signup = await get_signup(salon_id, user_id, session=session)
    if signup is None or signup.status not in SIGNED_UP or signup.status not in only:
        return SignupResult(NOT_SIGNED_UP, salon)
    if salon.status != SALON_CANCELLED and salon.starts_at <= now:
        return SignupResult(CLOSED, salon, signup.status, reason=STARTED)
    if signup.status != HELD:  # an unpaid hold never counted as a signup
        await add_activity(salon, LEFT_SALON, session=session, user_id=user_id, now=now)
    offers = await _release(salon, signup, session=session, now=now, offer_window=offer_window)
    return SignupResult(DONE, salon, LEFT, offers=offers)


async def _release(
    salon: Salon, signup: Signup, *, session: AsyncSession, now: datetime, offer_window: timedelta
) -> list[Signup]:
    """The signup becomes `left`; a seat it held is offered to the first in line (returned)."""
    held = signup.status in HOLDS_SEAT
    signup.status, signup.responded_at, signup.offer_expires_at = LEFT, now, None
    await session.flush()
    if held:
        await change_seats(salon, -1, session=session)
    return await offer_free_seats(salon, session=session, offer_window=offer_window, now=now)


async def offer_free_seats(
    salon: Salon, *, session: AsyncSession, offer_window: timedelta, now: datetime
) -> list[Signup]:
    """Offer free seats to the first in line; the salon must be locked by the caller."""
    if salon.status != SALON_PUBLISHED or closed_reason(salon, now):
        return []
    query = select(Signup).where(Signup.salon_id == salon.id, Signup.status == WAITLIST)
    if salon.capacity is not None:
        free = salon.capacity - salon.going_count
        if free <= 0:
            return []
        query = query.limit(free)
    offered = list(await session.scalars(query.order_by(Signup.id)))
    expires = min(now + offer_window, salon.starts_at)
    for signup in offered:
        signup.status, signup.offer_expires_at = OFFERED, expires
    if offered:
        await session.flush()
        await change_seats(salon, len(offered), session=session)
    return offered


@dataclass(frozen=True)
class MemberSignup:
    """One of a member's current signups, for /mysalons."""

    salon: Salon
    signup: Signup
    position: int | None


async def list_member_signups(
    user_id: int, *, session: AsyncSession, now: datetime | None = None
) -> list[MemberSignup]:
    """The member's going, offered and waitlisted signups for salons not yet started."""
    now = now or utcnow()
    rows = await session.execute(
        select(Signup, Salon)
        .join(Salon, Salon.id == Signup.salon_id)
        .where(
            Signup.user_id == user_id,
            Signup.status.in_(SIGNED_UP),
            Salon.status == SALON_PUBLISHED,
            Salon.starts_at > now,
        )
        .order_by(Salon.starts_at, Salon.id)
    )
    result = []
    for signup, salon in rows:
        position = await get_waitlist_position(signup, session=session)
        result.append(MemberSignup(salon, signup, position))
    return result
