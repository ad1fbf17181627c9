"""What a member's own salon ranking reads (recommender/personal.py): their past signups,
what new members joined first, the community's signup rate and salons' known signups."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Membership, Salon, Signup
from storage.models.salons import (
    GOING,
    HELD,
    LEFT,
    OFFERED,
    SALON_CANCELLED,
    SALON_DRAFT,
    WAITLIST,
)
from storage.types import utcnow

# Responses that count as signing up (as storage.frames_salons.RESPONSES maps them).
JOINED = (GOING, LEFT, HELD, OFFERED, WAITLIST)
ACTIVE = (GOING, HELD, OFFERED, WAITLIST)
NEWCOMERS = 1000


@dataclass(frozen=True)
class MemberHistory:
    """A member's past salons in some communities: how many they could join and joined."""

    eligible: int
    joined: int
    joined_tags: list[str] = field(default_factory=list)


def _held(community_ids: Sequence[int], now: datetime):
    """Conditions of salons of these communities that took place before `now`."""
    return (
        Salon.community_id.in_(list(community_ids)),
        Salon.status.not_in([SALON_DRAFT, SALON_CANCELLED]),
        Salon.starts_at < now,
    )


async def get_member_history(
    user_id: int,
    community_ids: Sequence[int],
    *,
    session: AsyncSession,
    now: datetime | None = None,
) -> MemberHistory:
    """Past salons held since the member joined each community, and the tags of those joined."""
    now = now or utcnow()
    joined_at = (
        select(Membership.community_id, Membership.joined_at)
        .where(Membership.user_id == user_id)
        .subquery()
    )
    eligible = await session.scalar(
        select(func.count(Salon.id))
        .outerjoin(joined_at, joined_at.c.community_id == Salon.community_id)
        .where(*_held(community_ids, now),
               joined_at.c.joined_at.is_(None) | (Salon.starts_at > joined_at.c.joined_at))
    )  # fmt: skip
    tags = list(
        await session.scalars(
            select(Salon.tags)
            .join(Signup, Signup.salon_id == Salon.id)
            .where(*_held(community_ids, now), Signup.user_id == user_id,
                   Signup.status.in_(JOINED))
        )
    )  # fmt: skip
    return MemberHistory(int(eligible or 0), len(tags), [t or "" for t in tags])


async def list_newcomer_tags(
    community_ids: Sequence[int],
    *,
    session: AsyncSession,
    now: datetime | None = None,
    limit: int = NEWCOMERS,
) -> list[str]:
    """The tags of each member's first salon joined (of the latest `limit` first-timers)."""
    now = now or utcnow()
    ranked = (
        select(
            Salon.tags.label("tags"),
            Salon.starts_at.label("starts_at"),
            func.row_number()
            .over(partition_by=Signup.user_id, order_by=(Salon.starts_at, Salon.id))
            .label("n"),
        )
        .join(Signup, Signup.salon_id == Salon.id)
        .where(*_held(community_ids, now), Signup.status.in_(JOINED))
        .subquery()
    )
    rows = await session.scalars(
        select(ranked.c.tags)
        .where(ranked.c.n == 1)
        .order_by(ranked.c.starts_at.desc())
        .limit(limit)
    )
    return [t or "" for t in rows]


async def get_base_rate(
    community_ids: Sequence[int], *, session: AsyncSession, now: datetime | None = None
) -> float:
    """Signups per (past salon, current member) of these communities (0 when unknown)."""
    now = now or utcnow()
    salons = await session.scalar(select(func.count(Salon.id)).where(*_held(community_ids, now)))
    members = await session.scalar(
        select(func.count()).where(
            Membership.community_id.in_(list(community_ids)), Membership.is_member.is_(True)
        )
    )
    signups = await session.scalar(
        select(func.count(Signup.id))
        .join(Salon, Salon.id == Signup.salon_id)
        .where(*_held(community_ids, now), Signup.status.in_(JOINED))
    )
    if not salons or not members:
        return 0.0
    return min(float(signups or 0) / (salons * members), 1.0)


async def count_salon_signups(salon_ids: Sequence[int], *, session: AsyncSession) -> dict[int, int]:
    """Salon id -> members going, holding, offered or waitlisted now."""
    if not salon_ids:
        return {}
    rows = await session.execute(
        select(Signup.salon_id, func.count(Signup.id))
        .where(Signup.salon_id.in_(list(salon_ids)), Signup.status.in_(ACTIVE))
        .group_by(Signup.salon_id)
    )
    return {int(s): int(n) for s, n in rows}


async def list_signed_up(
    user_id: int, salon_ids: Sequence[int], *, session: AsyncSession
) -> set[int]:
    """The salons among `salon_ids` the member is going to, holding, offered or waitlisted for."""
    if not salon_ids:
        return set()
    rows = await session.scalars(
        select(Signup.salon_id).where(
            Signup.user_id == user_id,
            Signup.salon_id.in_(list(salon_ids)),
            Signup.status.in_(ACTIVE),
        )
    )
    return set(rows)
