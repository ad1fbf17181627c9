"""Salon materials (`salon_materials`) and who should get them: members who wanted to come
(signed up, waitlisted, or left) but did not check in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Salon, SalonMaterials, Signup, User
from storage.models.salons import SALON_PUBLISHED
from storage.recommendations import JOINED
from storage.types import utcnow
from storage.upsert import insert_for

# A salon without an end time counts as over this long after its start.
DEFAULT_LENGTH = timedelta(hours=3)
# Materials attached later than this after the salon are not sent out any more.
SEND_WINDOW = timedelta(days=14)


async def set_materials(
    salon_id: int, url: str, *, session: AsyncSession, added_by: int | None = None
) -> None:
    """Attach (or replace) the salon's materials link."""
    insert = insert_for(session)
    values = {"salon_id": salon_id, "url": url, "added_by": added_by, "added_at": utcnow()}
    stmt = insert(SalonMaterials).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["salon_id"], set_={k: v for k, v in values.items() if k != "salon_id"}
    )
    await session.execute(stmt)


@dataclass(frozen=True)
class DueMaterials:
    """A finished salon with materials, and the members who wanted to come but did not."""

    salon: Salon
    url: str
    user_ids: list[int]


def ended(salon: Salon, now: datetime) -> bool:
    """Whether the salon is over."""
    return (salon.ends_at or salon.starts_at + DEFAULT_LENGTH) <= now


async def list_due_materials(
    *, session: AsyncSession, now: datetime | None = None
) -> list[DueMaterials]:
    """Salons over in the last SEND_WINDOW with materials, and each one's recipients."""
    now = now or utcnow()
    rows = await session.execute(
        select(Salon, SalonMaterials.url)
        .join(SalonMaterials, SalonMaterials.salon_id == Salon.id)
        .where(Salon.status == SALON_PUBLISHED, Salon.starts_at >= now - SEND_WINDOW,
               Salon.starts_at < now)
        .order_by(Salon.starts_at, Salon.id)
    )  # fmt: skip
    due = []
    for salon, url in rows.all():
        if not ended(salon, now):
            continue
        users = await session.scalars(
            select(Signup.user_id)
            .join(User, User.id == Signup.user_id)
            .where(Signup.salon_id == salon.id, Signup.status.in_(JOINED),
                   Signup.attended.is_not(True), User.invites_opt_out.is_(False))
            .order_by(Signup.user_id)
        )  # fmt: skip
        due.append(DueMaterials(salon, url, list(users)))
    return due


async def get_next_similar(
    salon: Salon, *, session: AsyncSession, now: datetime | None = None
) -> Salon | None:
    """The community's upcoming salon sharing most tags with `salon` (then the soonest)."""
    now = now or utcnow()
    upcoming = await session.scalars(
        select(Salon)
        .where(Salon.community_id == salon.community_id, Salon.status == SALON_PUBLISHED,
               Salon.starts_at > now, Salon.id != salon.id)
        .order_by(Salon.starts_at, Salon.id)
        .limit(50)
    )  # fmt: skip
    tags = _tags(salon.tags)
    best, best_shared = None, -1
    for candidate in upcoming:
        shared = len(tags & _tags(candidate.tags))
        if shared > best_shared:
            best, best_shared = candidate, shared
    return best


def _tags(text: str | None) -> set[str]:
    return {t.strip().lower() for t in (text or "").split(";") if t.strip()}
