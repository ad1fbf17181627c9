"""Incentives: points earned per community, a member's summary, referrals, the leaderboard.

No Telegram here. Points come from an idempotent tick (storage.points.award_points); the
monthly leaderboard goes to the group through the outbox, once per community and month.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.common.config import CommunityConfig, Config
from bot.incentives.texts import leaderboard_text
from bot.recommendations.service import Recommendation, recommend
from storage.outbox import enqueue
from storage.points import (
    PointRules,
    award_points,
    get_points,
    get_streak,
    is_on_leaderboard,
    list_leaders,
)
from storage.types import utcnow
from storage.users import list_user_communities

logger = logging.getLogger(__name__)
REFERRAL_PREFIX = "r"


def rules(community: CommunityConfig) -> PointRules:
    """The community's points per thing."""
    p = community.points
    return PointRules(p.attended, p.feedback, p.series, p.referral)


async def award_due(db: async_sessionmaker, config: Config) -> dict[str, int]:
    """Award the points due in every configured community (one transaction each)."""
    total: dict[str, int] = {}
    for community in config.communities:
        async with db.begin() as session:
            awarded = await award_points(community.chat_id, rules(community), session=session)
        for kind, n in awarded.items():
            total[kind] = total.get(kind, 0) + n
    return total


def month_start(moment: datetime, community: CommunityConfig) -> datetime:
    """The first instant of the moment's month in the community's timezone."""
    local = moment.astimezone(community.zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def previous_month(start: datetime) -> datetime:
    """The first instant of the month before the month starting at `start` (same zone)."""
    year, month = (start.year, start.month - 1) if start.month > 1 else (start.year - 1, 12)
    return start.replace(year=year, month=month)


@dataclass(frozen=True)
class CommunityPoints:
    """A member's standing in one community."""

    community: CommunityConfig
    points: int
    this_month: int
    streak: int
    on_leaderboard: bool


@dataclass(frozen=True)
class Summary:
    """What /me shows: standing per community and the next salon suggested."""

    communities: list[CommunityPoints]
    next_salon: Recommendation | None


async def member_summary(
    config: Config, user_id: int, *, session: AsyncSession, now: datetime | None = None
) -> Summary:
    """The member's points, streak and leaderboard choice per community, and the next salon."""
    now = now or utcnow()
    ids = await list_user_communities(user_id, session=session)
    if not ids:
        ids = [c.chat_id for c in config.communities]
    standing = []
    for cid in ids:
        community = config.community(cid)
        if community is None:
            continue
        since = month_start(now, community)
        standing.append(CommunityPoints(
            community,
            await get_points(user_id, cid, session=session),
            await get_points(user_id, cid, session=session, since=since),
            await get_streak(user_id, cid, session=session),
            await is_on_leaderboard(user_id, cid, session=session),
        ))  # fmt: skip
    ranked = await recommend(user_id, ids, session=session, now=now)
    nxt = next((r for r in ranked if not r.signed_up), None)
    return Summary(standing, nxt)


def referral_payload(user_id: int) -> str:
    """The /start payload of a member's personal invitation link (`r_<id in base 36>`)."""
    digits, n = "", user_id
    while True:
        n, r = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + digits
        if n == 0:
            return f"{REFERRAL_PREFIX}_{digits}"


def referrer_of(rest: str) -> int | None:
    """The member id in a referral payload's rest (None if it is not one)."""
    if not rest or len(rest) > 13 or not rest.isascii() or not rest.isalnum():
        return None
    try:
        return int(rest, 36)
    except ValueError:
        return None


async def queue_leaderboards(
    db: async_sessionmaker, config: Config, now: datetime | None = None
) -> int:
    """Queue last month's leaderboard to each group that wants one (once per month)."""
    now = now or utcnow()
    queued = 0
    for community in config.communities:
        if not community.points.leaderboard:
            continue
        until = month_start(now, community)
        since = previous_month(until)
        async with db.begin() as session:
            leaders = await list_leaders(community.chat_id, since, until, session=session,
                                         limit=community.points.leaderboard_size)  # fmt: skip
            if not leaders:
                continue
            text = leaderboard_text(community.language, since, leaders)
            key = f"leaderboard:{community.chat_id}:{since:%Y-%m}"
            payload = {"text": text}
            queued += await enqueue(key, session=session, kind="leaderboard",
                                    chat_id=community.chat_id, payload=payload)  # fmt: skip
    return queued
