"""Time travel for the demo: move a salon and everything about it into the past.

`salonbot demo` cannot wait days for reminders, check-in and feedback to come due. Moving
every timestamp of one salon back by the same amount - its times, signups, campaign,
invitations, outbox messages and polls - is the same, for the scheduler's ticks, as that
much time having passed: what they derive from the tables becomes due, and nothing else
changes. Only the demo uses this.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Campaign,
    Invitation,
    OutboxMessage,
    Poll,
    Salon,
    SalonActivity,
    Signup,
)
from storage.types import UTCDateTime

# Each model with the column that names its salon.
_SALON_ROWS = (
    (Salon, Salon.id),
    (Signup, Signup.salon_id),
    (Campaign, Campaign.salon_id),
    (Invitation, Invitation.salon_id),
    (OutboxMessage, OutboxMessage.salon_id),
    (Poll, Poll.salon_id),
)


def _time_columns(model) -> list[str]:
    return [c.key for c in model.__table__.columns if isinstance(c.type, UTCDateTime)]


async def shift_salon_back(salon_id: int, delta: timedelta, *, session: AsyncSession) -> int:
    """Move every timestamp of the salon's rows `delta` earlier; returns the rows changed."""
    changed = 0
    for model, salon_column in _SALON_ROWS:
        names = _time_columns(model)
        for row in await session.scalars(select(model).where(salon_column == salon_id)):
            for name in names:
                value = getattr(row, name)
                if value is not None:
                    setattr(row, name, value - delta)
            changed += 1
    await session.flush()
    return changed


async def shift_activity_back(salon_id: int, delta: timedelta, *, session: AsyncSession) -> int:
    """Move the salon's unreported activity (storage/salon_activity.py) `delta` earlier, so
    the organizers' digest comes due; returns the rows changed."""
    query = select(SalonActivity).where(
        SalonActivity.salon_id == salon_id, SalonActivity.reported_at.is_(None)
    )
    rows = list(await session.scalars(query))
    for row in rows:
        row.created_at -= delta
    await session.flush()
    return len(rows)
