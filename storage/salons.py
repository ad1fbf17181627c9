"""Salons: create, find and list. Signup operations live in storage/signups.py."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Salon
from storage.models.salons import SALON_PUBLISHED
from storage.types import utcnow

# No 0/O, 1/I/L: codes are read aloud and typed on phones.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6


def new_code(length: int = CODE_LENGTH) -> str:
    """A random short code for /join and /here."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


@dataclass(frozen=True)
class NewSalon:
    """What an organizer (or an import) provides to create a salon."""

    community_id: int
    title: str
    starts_at: datetime
    capacity: int | None = None
    location: str = ""
    tags: tuple[str, ...] = ()
    description: str = ""
    ends_at: datetime | None = None
    signup_deadline: datetime | None = None
    created_by: int | None = None
    source_id: str | None = None
    status: str = SALON_PUBLISHED
    price_amount: int = 0  # in the currency's smallest unit; 0 = free
    currency: str = ""


async def add_salon(new: NewSalon, *, session: AsyncSession) -> Salon:
    """Insert a salon with fresh unique short and check-in codes."""
    while True:
        code = new_code()
        if await session.scalar(select(Salon.id).where(Salon.short_code == code)) is None:
            break
    salon = Salon(
        community_id=new.community_id,
        source_id=new.source_id,
        short_code=code,
        checkin_code=new_code(4),
        title=new.title,
        description=new.description,
        tags=";".join(t.strip() for t in new.tags if t.strip()),
        location=new.location,
        starts_at=new.starts_at,
        ends_at=new.ends_at,
        signup_deadline=new.signup_deadline,
        capacity=new.capacity,
        price_amount=new.price_amount,
        currency=new.currency if new.price_amount else "",
        status=new.status,
        created_by=new.created_by,
    )
    session.add(salon)
    await session.flush()
    return salon


async def get_salon(salon_id: int, *, session: AsyncSession) -> Salon | None:
    """The salon with this internal id."""
    return await session.get(Salon, salon_id)


async def find_salon(
    ref: str,
    *,
    session: AsyncSession,
    community_ids: list[int] | None = None,
    codes_only: bool = False,
) -> Salon | None:
    """A salon by short code (any case), imported source id or internal id.

    Members' commands pass `codes_only`: sequential ids and imported ids are guessable, the
    random short codes are not.
    """
    ref = ref.strip()
    if not ref or len(ref) > 64 or "\x00" in ref:  # PostgreSQL text cannot hold NUL
        return None
    conditions = [Salon.short_code == ref.upper()]
    if not codes_only:
        conditions.append(Salon.source_id == ref)
    # not "²": isdigit() but no int
    if not codes_only and ref.isascii() and ref.isdigit() and len(ref) < 19:
        conditions.append(Salon.id == int(ref))
    query = select(Salon).where(or_(*conditions))
    if community_ids is not None:
        query = query.where(Salon.community_id.in_(community_ids))
    return (await session.scalars(query.order_by(Salon.id).limit(1))).first()


async def list_upcoming_salons(
    community_ids: list[int], *, session: AsyncSession, now: datetime | None = None
) -> list[Salon]:
    """Published salons of these communities that have not started, soonest first."""
    now = now or utcnow()
    rows = await session.scalars(
        select(Salon)
        .where(
            Salon.community_id.in_(community_ids),
            Salon.status == SALON_PUBLISHED,
            Salon.starts_at > now,
        )
        .order_by(Salon.starts_at, Salon.id)
    )
    return list(rows)


async def get_managed_salon(
    salon_id: int, community_ids: list[int], *, session: AsyncSession
) -> Salon | None:
    """The salon with this id if it belongs to one of these communities (else None)."""
    salon = await session.get(Salon, salon_id)
    return salon if salon is not None and salon.community_id in community_ids else None


async def list_organizer_salons(
    community_ids: list[int],
    *,
    session: AsyncSession,
    now: datetime | None = None,
    past_days: int = 30,
    limit: int = 40,
) -> list[Salon]:
    """Drafts, upcoming and recently past salons of these communities, newest start first."""
    now = now or utcnow()
    rows = await session.scalars(
        select(Salon)
        .where(
            Salon.community_id.in_(community_ids),
            Salon.starts_at > now - timedelta(days=past_days),
        )
        .order_by(Salon.starts_at.desc(), Salon.id.desc())
        .limit(limit)
    )
    return list(rows)
