"""What organizers do to a salon after creating it: publish, edit, cancel, discard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Invitation, OutboxMessage, Salon, Signup, User
from storage.models.campaigns import INV_CANCELLED
from storage.models.outbox import CANCELLED, KIND_REFUND, PENDING
from storage.models.salons import (
    SALON_CANCELLED,
    SALON_DRAFT,
    SALON_PUBLISHED,
    SIGNED_UP,
)
from storage.types import utcnow

# Members told about a change of time or a cancellation.


@dataclass(frozen=True)
class Recipient:
    """A signed-up member to notify, with what the bot needs to pick their language."""

    user_id: int
    status: str
    language_code: str | None


async def claim_publication(salon_id: int, *, session: AsyncSession) -> bool:
    """Draft -> published, atomically: False if it was not a draft (already published...)."""
    result = await session.execute(
        update(Salon)
        .where(Salon.id == salon_id, Salon.status == SALON_DRAFT)
        .values(status=SALON_PUBLISHED, updated_at=utcnow())
    )
    return result.rowcount == 1


async def set_announcement(salon_id: int, message_id: int, *, session: AsyncSession) -> None:
    """Remember the group message that announces the salon."""
    await session.execute(
        update(Salon).where(Salon.id == salon_id).values(announcement_message_id=message_id)
    )


async def revert_to_draft(salon_id: int, *, session: AsyncSession) -> None:
    """Undo a publication whose announcement could not be posted."""
    await session.execute(
        update(Salon)
        .where(Salon.id == salon_id, Salon.status == SALON_PUBLISHED)
        .values(status=SALON_DRAFT, announcement_message_id=None)
    )


async def delete_draft(salon_id: int, *, session: AsyncSession) -> bool:
    """Delete a salon that is still a draft; False if it is not (anymore) a draft."""
    result = await session.execute(
        delete(Salon).where(Salon.id == salon_id, Salon.status == SALON_DRAFT)
    )
    return result.rowcount == 1


async def update_salon(salon_id: int, *, session: AsyncSession, **values: object) -> bool:
    """Change a salon that is not cancelled (title, location, capacity, times, price, guests)."""
    allowed = {"title", "location", "capacity", "starts_at", "ends_at", "signup_deadline",
               "price_amount", "currency", "guests_welcome"}  # fmt: skip
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    changed = dict(values)
    if {"starts_at", "location"} & set(values):  # members are told: a new calendar version
        changed["sequence"] = Salon.sequence + 1
    result = await session.execute(
        update(Salon)
        .where(Salon.id == salon_id, Salon.status != SALON_CANCELLED)
        .values(**changed, updated_at=utcnow())
    )
    return result.rowcount == 1


async def cancel_salon(
    salon_id: int, *, session: AsyncSession, now: datetime | None = None
) -> bool:
    """Cancel a salon: status cancelled, signups closed, its pending messages withdrawn
    (except refund notices: those are about money already taken).

    Returns False (and changes nothing) if it was already cancelled. Enqueue the
    cancellation notices *after* this call, or they would be withdrawn too.
    """
    now = now or utcnow()
    salon = await session.get(Salon, salon_id, with_for_update=True)
    if salon is None or salon.status == SALON_CANCELLED:
        return False
    salon.status = SALON_CANCELLED
    salon.sequence = (salon.sequence or 0) + 1
    if salon.signup_deadline is None or salon.signup_deadline > now:
        salon.signup_deadline = now
    salon.updated_at = now
    withdrawn = (
        OutboxMessage.salon_id == salon_id,
        OutboxMessage.status == PENDING,
        OutboxMessage.kind != KIND_REFUND,
    )
    # Queued invitations follow their outbox rows (storage/models/campaigns.py).
    await session.execute(
        update(Invitation)
        .where(Invitation.outbox_id.in_(select(OutboxMessage.id).where(*withdrawn)))
        .values(status=INV_CANCELLED)
    )
    await session.execute(update(OutboxMessage).where(*withdrawn).values(status=CANCELLED))
    await session.flush()
    return True


async def list_salon_recipients(salon_id: int, *, session: AsyncSession) -> list[Recipient]:
    """Everyone signed up (going, offered a seat, or waiting), first come first."""
    rows = await session.execute(
        select(Signup.user_id, Signup.status, User.language_code)
        .join(User, User.id == Signup.user_id)
        .where(Signup.salon_id == salon_id, Signup.status.in_(SIGNED_UP))
        .order_by(Signup.id)
    )
    return [Recipient(user_id, status, code) for user_id, status, code in rows]
