"""Points, referrals and leaderboard opt-ins (storage/models/points.py).

Points are derived from what happened (check-ins, ratings, a referred friend's first
attendance, a series attended in full) by an idempotent tick: each earned thing has one
`source_key`, so running it twice, or in two processes, awards nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import String, and_, cast, delete, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    LeaderboardOptIn,
    Membership,
    PointEntry,
    Referral,
    Salon,
    Signup,
    User,
)
from storage.models.points import ATTENDED, FEEDBACK, REFERRAL, SERIES
from storage.models.salons import SALON_CANCELLED, SALON_DRAFT
from storage.types import utcnow
from storage.upsert import insert_for

SERIES_PREFIX = "series:"
# Only salons that started this recently earn points: each tick's work stays bounded, and
# history imported from before the bot (whose attendance no one checked in) earns none.
WINDOW = timedelta(days=60)


@dataclass(frozen=True)
class PointRules:
    """Points per thing in one community (0: not awarded)."""

    attended: int = 10
    feedback: int = 3
    series: int = 20
    referral: int = 15


def _held(community_id: int):
    return (
        Salon.community_id == community_id,
        Salon.status.not_in([SALON_DRAFT, SALON_CANCELLED]),
    )


async def _from_signups(
    community_id: int, kind: str, points: int, prefix: str, condition, at, now: datetime, *,
    session,
) -> int:  # fmt: skip
    """Award `points` for every signup matching `condition` (once per signup)."""
    if points <= 0:
        return 0
    insert = insert_for(session)
    rows = (
        select(
            literal(prefix) + cast(Signup.id, String),
            Salon.community_id,
            Signup.user_id,
            literal(kind),
            literal(points),
            Salon.id,
            at,
        )
        .join(Salon, Salon.id == Signup.salon_id)
        .where(*_held(community_id), Salon.starts_at >= now - WINDOW, condition)
    )
    stmt = insert(PointEntry).from_select(
        ["source_key", "community_id", "user_id", "kind", "points", "salon_id", "earned_at"], rows
    )
    result = await session.execute(stmt.on_conflict_do_nothing(index_elements=["source_key"]))
    return max(result.rowcount or 0, 0)


async def _add(entry: dict, *, session: AsyncSession) -> bool:
    insert = insert_for(session)
    stmt = insert(PointEntry).values(**entry).on_conflict_do_nothing(index_elements=["source_key"])
    return bool((await session.execute(stmt)).rowcount)


async def _referrals(community_id: int, points: int, *, session: AsyncSession) -> int:
    """Credit referrers whose friend came to a salon of the community (checked in, or the
    salon started) after being referred."""
    if points <= 0:
        return 0
    first = (
        select(Referral.referred_user_id, Referral.referrer_user_id, func.min(Salon.id))
        .join(Signup, Signup.user_id == Referral.referred_user_id)
        .join(Salon, Salon.id == Signup.salon_id)
        .where(*_held(community_id), Referral.rewarded_at.is_(None), Signup.attended.is_(True),
               func.coalesce(Signup.checked_in_at, Salon.starts_at) >= Referral.created_at,
               Salon.starts_at >= utcnow() - WINDOW)
        .group_by(Referral.referred_user_id, Referral.referrer_user_id)
    )  # fmt: skip
    awarded = 0
    for referred, referrer, salon_id in (await session.execute(first)).all():
        entry = {"source_key": f"r:{referred}", "community_id": community_id,
                 "user_id": referrer, "kind": REFERRAL, "points": points, "salon_id": salon_id,
                 "earned_at": utcnow()}  # fmt: skip
        awarded += await _add(entry, session=session)
        referral = await session.get(Referral, referred)
        referral.rewarded_at = utcnow()
    return awarded


async def _series(community_id: int, points: int, now: datetime, *, session) -> int:
    """Credit members who attended every salon of a finished series (a `series:` tag, 2+)."""
    if points <= 0:
        return 0
    salons = await session.execute(
        select(Salon.id, Salon.tags, Salon.starts_at).where(
            *_held(community_id), Salon.tags.like(f"%{SERIES_PREFIX}%")
        )
    )
    series: dict[str, list[tuple[int, datetime]]] = {}
    for salon_id, tags, starts_at in salons:
        for tag in (t.strip().lower() for t in (tags or "").split(";")):
            if tag.startswith(SERIES_PREFIX) and len(tag) > len(SERIES_PREFIX):
                series.setdefault(tag, []).append((salon_id, starts_at))
    awarded = 0
    for tag, members in series.items():
        ids = [s for s, _at in members]
        last = max(at for _s, at in members)
        if len(ids) < 2 or last >= now or last < now - WINDOW:
            continue
        complete = await session.scalars(
            select(Signup.user_id)
            .where(Signup.salon_id.in_(ids), Signup.attended.is_(True))
            .group_by(Signup.user_id)
            .having(func.count(func.distinct(Signup.salon_id)) == len(ids))
        )
        for user_id in complete:
            key = f"s:{community_id}:{tag[:60]}:{user_id}"
            entry = {"source_key": key, "community_id": community_id, "user_id": user_id,
                     "kind": SERIES, "points": points, "salon_id": max(ids),
                     "earned_at": now}  # fmt: skip
            awarded += await _add(entry, session=session)
    return awarded


async def award_points(
    community_id: int, rules: PointRules, *, session: AsyncSession, now: datetime | None = None
) -> dict[str, int]:
    """Award what is due in the community (idempotent); the entries added per kind."""
    now = now or utcnow()
    return {
        ATTENDED: await _from_signups(
            community_id, ATTENDED, rules.attended, "a:", Signup.attended.is_(True),
            func.coalesce(Signup.checked_in_at, Salon.starts_at), now, session=session,
        ),
        FEEDBACK: await _from_signups(
            community_id, FEEDBACK, rules.feedback, "f:", Signup.rating.is_not(None),
            func.coalesce(Signup.rated_at, Salon.starts_at), now, session=session,
        ),
        REFERRAL: await _referrals(community_id, rules.referral, session=session),
        SERIES: await _series(community_id, rules.series, now, session=session),
    }  # fmt: skip


async def get_points(
    user_id: int, community_id: int, *, session: AsyncSession, since: datetime | None = None
) -> int:
    """The member's points in the community (earned since `since`, if given)."""
    query = select(func.coalesce(func.sum(PointEntry.points), 0)).where(
        PointEntry.user_id == user_id, PointEntry.community_id == community_id
    )
    if since is not None:
        query = query.where(PointEntry.earned_at >= since)
    return int(await session.scalar(query) or 0)


async def get_streak(user_id: int, community_id: int, *, session: AsyncSession) -> int:
    """Salons attended in a row, counting back from the member's latest known outcome."""
    rows = await session.scalars(
        select(Signup.attended)
        .join(Salon, Salon.id == Signup.salon_id)
        .where(*_held(community_id), Signup.user_id == user_id, Signup.attended.is_not(None))
        .order_by(Salon.starts_at.desc(), Salon.id.desc())
        .limit(200)
    )
    streak = 0
    for attended in rows:
        if not attended:
            break
        streak += 1
    return streak


@dataclass(frozen=True)
class Leader:
    """One line of a leaderboard."""

    user_id: int
    first_name: str
    points: int


async def list_leaders(
    community_id: int, since: datetime, until: datetime, *, session: AsyncSession, limit: int = 10
) -> list[Leader]:
    """The opted-in members with the most points earned in [since, until), most first."""
    total = func.sum(PointEntry.points)
    rows = await session.execute(
        select(PointEntry.user_id, User.first_name, total)
        .join(User, User.id == PointEntry.user_id)
        .join(LeaderboardOptIn, and_(LeaderboardOptIn.user_id == PointEntry.user_id,
                                     LeaderboardOptIn.community_id == community_id))
        .where(PointEntry.community_id == community_id, PointEntry.earned_at >= since,
               PointEntry.earned_at < until)
        .group_by(PointEntry.user_id, User.first_name)
        .order_by(total.desc(), PointEntry.user_id)
        .limit(limit)
    )  # fmt: skip
    return [Leader(int(u), name or "", int(p)) for u, name, p in rows]


async def is_on_leaderboard(user_id: int, community_id: int, *, session: AsyncSession) -> bool:
    """Whether the member opted in to the community's leaderboard."""
    return await session.get(LeaderboardOptIn, (community_id, user_id)) is not None


async def set_leaderboard(
    user_id: int, community_id: int, *, enabled: bool, session: AsyncSession
) -> None:
    """Opt the member in to (or out of) the community's leaderboard."""
    await session.execute(
        delete(LeaderboardOptIn).where(
            LeaderboardOptIn.user_id == user_id, LeaderboardOptIn.community_id == community_id
        )
    )
    if enabled:
        session.add(LeaderboardOptIn(community_id=community_id, user_id=user_id))


async def add_referral(referrer_id: int, referred_id: int, *, session: AsyncSession) -> bool:
    """Record that `referred_id` came through `referrer_id`'s link; False if it cannot count.

    Only a newcomer counts: not the referrer, known to the bot, never referred before and
    never at a salon.
    """
    if referrer_id == referred_id or await session.get(User, referrer_id) is None:
        return False
    if await session.get(Referral, referred_id) is not None:
        return False
    attended = await session.scalar(
        select(func.count(Signup.id)).where(
            Signup.user_id == referred_id, Signup.attended.is_(True)
        )
    )
    if attended:
        return False
    insert = insert_for(session)
    stmt = (
        insert(Referral)
        .values(referred_user_id=referred_id, referrer_user_id=referrer_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["referred_user_id"])
    )
    return bool((await session.execute(stmt)).rowcount)


async def count_referrals(community_id: int, *, session: AsyncSession) -> tuple[int, int]:
    """(newcomers who came through a link of a community member, of them credited)."""
    started = await session.scalar(
        select(func.count())
        .select_from(Referral)
        .join(Membership, Membership.user_id == Referral.referrer_user_id)
        .where(Membership.community_id == community_id)
    )
    credited = await session.scalar(
        select(func.count())
        .select_from(PointEntry)
        .where(PointEntry.community_id == community_id, PointEntry.kind == REFERRAL)
    )
    return int(started or 0), int(credited or 0)
