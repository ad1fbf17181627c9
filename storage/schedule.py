"""What is due now, derived from the tables: reminders and feedback polls (idempotent ticks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage, Salon, Signup, User
from storage.models.outbox import CANCELLED, PENDING
from storage.models.salons import GOING, SALON_PUBLISHED
from storage.types import utcnow

DEFAULT_DURATION = timedelta(hours=2)
# Feedback is not asked for salons that ended longer ago than this (e.g. imported history).
FEEDBACK_MAX_AGE = timedelta(days=2)


@dataclass(frozen=True)
class Due:
    """A message due to one member about one salon."""

    salon: Salon
    user_id: int
    language_code: str | None
    hours: float | None = None  # for reminders: which reminder


def salon_end(salon: Salon) -> datetime:
    """When the salon ends (starts_at + 2 h when no end was given)."""
    return salon.ends_at or salon.starts_at + DEFAULT_DURATION


async def list_due_reminders(
    hours: list[float], *, session: AsyncSession, now: datetime | None = None
) -> list[Due]:
    """Going members whose reminder moment (starts_at - h) has passed, the latest moment only.

    A member who signed up after a moment needs no reminder for it: the confirmation told
    them. After downtime only the most recent missed reminder is due, never a burst.
    """
    now = now or utcnow()
    if not hours:
        return []
    rows = await session.execute(
        select(Salon, Signup, User.language_code)
        .join(Signup, Signup.salon_id == Salon.id)
        .join(User, User.id == Signup.user_id)
        .where(
            Salon.status == SALON_PUBLISHED,
            Salon.starts_at > now,
            Salon.starts_at <= now + timedelta(hours=max(hours)),
            Signup.status == GOING,
        )
        .order_by(Salon.id, Signup.id)
    )
    due = []
    for salon, signup, language_code in rows:
        passed = [h for h in hours if salon.starts_at - timedelta(hours=h) <= now]
        if not passed:
            continue
        latest = min(passed)
        if signup.responded_at > salon.starts_at - timedelta(hours=latest):
            continue
        due.append(Due(salon, signup.user_id, language_code, latest))
    return due


async def list_due_feedback(
    delay_hours: float, *, session: AsyncSession, now: datetime | None = None
) -> list[Due]:
    """Attendees (attended, or going and not marked absent) of salons that ended a while ago."""
    now = now or utcnow()
    delay = timedelta(hours=delay_hours)
    earliest_start = now - delay - FEEDBACK_MAX_AGE - timedelta(days=7)
    rows = await session.execute(
        select(Salon, Signup, User.language_code)
        .join(Signup, Signup.salon_id == Salon.id)
        .join(User, User.id == Signup.user_id)
        .where(
            Salon.status == SALON_PUBLISHED,
            Salon.starts_at <= now,
            Salon.starts_at >= earliest_start,
            Signup.source != "import",
            or_(
                Signup.attended.is_(True),
                (Signup.status == GOING) & Signup.attended.is_(None),
            ),
        )
        .order_by(Salon.id, Signup.id)
    )
    due = []
    for salon, signup, language_code in rows:
        ask_at = salon_end(salon) + delay
        if ask_at <= now < ask_at + FEEDBACK_MAX_AGE:
            due.append(Due(salon, signup.user_id, language_code))
    return due


async def cancel_late_reminders(*, session: AsyncSession, now: datetime | None = None) -> int:
    """Reminders still queued for salons that have started (e.g. after downtime): cancel them."""
    now = now or utcnow()
    started = select(Salon.id).where(Salon.starts_at <= now)
    result = await session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.kind == "reminder",
            OutboxMessage.status == PENDING,
            OutboxMessage.salon_id.in_(started),
        )
        .values(status=CANCELLED)
    )
    return result.rowcount
