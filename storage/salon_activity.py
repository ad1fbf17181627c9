"""What happened to salons, for their organizers' digest and notes (storage/models/digest.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Salon, SalonActivity, User
from storage.models.digest import FULL, URGENT
from storage.types import utcnow


async def add_activity(
    salon: Salon,
    kind: str,
    *,
    session: AsyncSession,
    user_id: int | None = None,
    detail: str | None = None,
    now: datetime | None = None,
) -> None:
    """Record one thing that happened to the salon (told to its organizers later)."""
    session.add(
        SalonActivity(
            salon_id=salon.id,
            community_id=salon.community_id,
            user_id=user_id,
            kind=kind,
            detail=detail[:300] if detail else None,
            created_at=now or utcnow(),
        )
    )
    await session.flush()


async def note_if_full(salon: Salon, *, session: AsyncSession, now: datetime | None = None) -> bool:
    """Record that the salon just filled (its last seat was taken); True if recorded."""
    if salon.capacity is None or salon.going_count < salon.capacity:
        return False
    await add_activity(salon, FULL, session=session, now=now)
    return True


@dataclass(frozen=True)
class ActivityRow:
    """An unreported activity row with the names the organizers' texts need."""

    id: int
    salon_id: int
    community_id: int
    salon_title: str
    created_by: int | None
    kind: str
    user_id: int | None
    name: str
    detail: str | None
    created_at: datetime


async def list_unreported(
    *, session: AsyncSession, urgent: bool, community_id: int | None = None,
    before: datetime | None = None, limit: int = 500,
) -> list[ActivityRow]:  # fmt: skip
    """Unreported rows, oldest first: the urgent kinds, or the digest kinds before `before`."""
    query = (
        select(SalonActivity, Salon.title, Salon.created_by, User.first_name, User.username)
        .join(Salon, Salon.id == SalonActivity.salon_id)
        .outerjoin(User, User.id == SalonActivity.user_id)
        .where(SalonActivity.reported_at.is_(None))
    )
    kinds = SalonActivity.kind.in_(URGENT)
    query = query.where(kinds if urgent else ~kinds)
    if community_id is not None:
        query = query.where(SalonActivity.community_id == community_id)
    if before is not None:
        query = query.where(SalonActivity.created_at < before)
    rows = await session.execute(query.order_by(SalonActivity.id).limit(limit))
    return [
        ActivityRow(
            a.id,
            a.salon_id,
            a.community_id,
            title,
            created_by,
            a.kind,
            a.user_id,
            first or (f"@{username}" if username else str(a.user_id or "")),
            a.detail,
            a.created_at,
        )  # fmt: skip
        for a, title, created_by, first, username in rows
    ]


async def list_communities_with_unreported(*, session: AsyncSession) -> list[int]:
    """Communities with digest rows not yet reported."""
    query = (
        select(SalonActivity.community_id)
        .where(SalonActivity.reported_at.is_(None), SalonActivity.kind.not_in(URGENT))
        .distinct()
    )
    return sorted(await session.scalars(query))


async def mark_reported(
    ids: list[int], *, session: AsyncSession, now: datetime | None = None
) -> int:
    """These rows were told to the organizers (only rows not reported before are changed)."""
    if not ids:
        return 0
    result = await session.execute(
        update(SalonActivity)
        .where(SalonActivity.id.in_(ids), SalonActivity.reported_at.is_(None))
        .values(reported_at=now or utcnow())
    )
    return result.rowcount
