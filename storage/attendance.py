"""Check-in: who came to a salon, by the organizer's list or the member's own code."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Salon, Signup, User
from storage.models.salons import (
    GOING,
    HELD,
    OFFERED,
    SALON_CANCELLED,
    SALON_DRAFT,
    SALON_PUBLISHED,
    WAITLIST,
)
from storage.types import utcnow

DEFAULT_DURATION = timedelta(hours=2)
CHECKIN_OPENS_BEFORE = timedelta(minutes=30)
# Imported history keeps an unknown attendance unknown: only signups made here become no-shows.
IMPORTED = "import"


def salon_ends_at(salon: Salon) -> datetime:
    """When the salon ends (start + 2 h when no end was given)."""
    return salon.ends_at or salon.starts_at + DEFAULT_DURATION


@dataclass(frozen=True)
class Attendee:
    """A signed-up member as the organizer sees them."""

    user_id: int
    name: str
    status: str
    attended: bool | None


async def list_attendees(salon_id: int, *, session: AsyncSession) -> list[Attendee]:
    """Going, offered, paying and waitlisted members of a salon, in that order, first come
    first."""
    order = {GOING: 0, OFFERED: 1, HELD: 2, WAITLIST: 3}
    rows = await session.execute(
        select(Signup.user_id, Signup.status, Signup.attended, User.first_name, User.username)
        .join(User, User.id == Signup.user_id)
        .where(Signup.salon_id == salon_id, Signup.status.in_(order))
        .order_by(Signup.id)
    )
    people = [
        Attendee(uid, _name(first, username, uid), status, attended)
        for uid, status, attended, first, username in rows
    ]
    return sorted(people, key=lambda a: order[a.status])


def _name(first_name: str, username: str | None, user_id: int) -> str:
    name = first_name.strip() or str(user_id)
    return f"{name} (@{username})" if username else name


async def toggle_attended(
    salon_id: int, user_id: int, *, session: AsyncSession, now: datetime | None = None
) -> bool | None:
    """Flip a going member's attendance (organizer's list); None if they are not going."""
    signup = await session.scalar(
        select(Signup).where(
            Signup.salon_id == salon_id, Signup.user_id == user_id, Signup.status == GOING
        )
    )
    if signup is None:
        return None
    signup.attended = not signup.attended
    signup.checked_in_at = (now or utcnow()) if signup.attended else None
    await session.flush()
    return signup.attended


class CheckIn(enum.Enum):
    """The outcome of a member's `/here CODE`."""

    DONE = "done"
    ALREADY = "already"
    UNKNOWN_CODE = "unknown_code"
    CANCELLED = "cancelled"
    NOT_GOING = "not_going"
    TOO_EARLY = "too_early"
    OVER = "over"


async def check_in_by_code(
    user_id: int, code: str, *, session: AsyncSession, now: datetime | None = None
) -> tuple[CheckIn, Salon | None]:
    """Check a member in by the check-in code shown at the venue, during the event.

    Only the check-in code counts: the public join code is printed in every announcement,
    so accepting it would let anyone signed up check in from home.
    """
    code = code.strip().upper()
    # Codes are ASCII letters and digits; anything else (NUL included) matches no salon.
    if not code or len(code) > 16 or not (code.isascii() and code.isalnum()):
        return CheckIn.UNKNOWN_CODE, None
    salons = list(
        await session.scalars(
            select(Salon)
            .where(Salon.checkin_code == code, Salon.status != SALON_DRAFT)
            .order_by(Salon.starts_at.desc())
        )
    )
    return await _check_in(user_id, salons, session=session, now=now)


async def check_in_at_salon(
    user_id: int, salon_id: int, *, session: AsyncSession, now: datetime | None = None
) -> tuple[CheckIn, Salon | None]:
    """Check a member in at a salon named by a signed link the organizer shows at the venue."""
    salon = await session.get(Salon, salon_id)
    salons = [salon] if salon is not None and salon.status != SALON_DRAFT else []
    return await _check_in(user_id, salons, session=session, now=now)


async def _check_in(
    user_id: int, salons: list[Salon], *, session: AsyncSession, now: datetime | None
) -> tuple[CheckIn, Salon | None]:
    now = now or utcnow()
    if not salons:
        return CheckIn.UNKNOWN_CODE, None
    # Check-in codes are short and may repeat across salons: prefer the one they signed up for.
    signups = {
        s.salon_id: s
        for s in await session.scalars(
            select(Signup).where(
                Signup.user_id == user_id,
                Signup.salon_id.in_([s.id for s in salons]),
                Signup.status == GOING,
            )
        )
    }
    salon = next((s for s in salons if s.id in signups), salons[0])
    signup = signups.get(salon.id)
    if salon.status == SALON_CANCELLED:
        return CheckIn.CANCELLED, salon
    if signup is None:
        return CheckIn.NOT_GOING, salon
    if now < salon.starts_at - CHECKIN_OPENS_BEFORE:
        return CheckIn.TOO_EARLY, salon
    if now > salon_ends_at(salon):
        return CheckIn.OVER, salon
    if signup.attended:
        return CheckIn.ALREADY, salon
    signup.attended = True
    signup.checked_in_at = now
    await session.flush()
    return CheckIn.DONE, salon


async def mark_no_shows(*, session: AsyncSession, now: datetime | None = None) -> int:
    """Going members of ended salons who never checked in become no-shows; idempotent."""
    now = now or utcnow()
    ended = select(Salon.id).where(
        Salon.status == SALON_PUBLISHED,
        or_(
            and_(Salon.ends_at.is_not(None), Salon.ends_at < now),
            and_(Salon.ends_at.is_(None), Salon.starts_at < now - DEFAULT_DURATION),
        ),
    )
    result = await session.execute(
        update(Signup)
        .where(
            Signup.salon_id.in_(ended),
            Signup.status == GOING,
            Signup.attended.is_(None),
            Signup.source != IMPORTED,
        )
        .values(attended=False)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
