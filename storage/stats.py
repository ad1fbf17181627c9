"""/stats: every figure an organizer sees, as a plain dataclass (see docs/stats.md).

Activity comes from the community rollup (`activity_community_daily`, one row per day) and
the members' `last_active_at`; members known and reachable from `storage.member_counts`, the
others from `memberships` (indexed by community and time);
salons and campaigns from `storage.stats_salons`. Nothing here reads raw messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.member_counts import count_members
from storage.models import Community, Membership, Salon
from storage.models.activity import HOURS
from storage.models.community_daily import activity_community_daily as daily
from storage.models.salons import SALON_CANCELLED, SALON_DRAFT
from storage.points import count_referrals
from storage.revenue import Revenue, get_revenue
from storage.runs import count_segments
from storage.stats_salons import (
    CampaignGroups,
    ModelFigures,
    SalonFunnel,
    get_model_figures,
    list_campaign_groups,
    list_salon_funnels,
)
from storage.types import utcnow

MAX_DAYS = 366


@dataclass
class DayActivity:
    """Messages and reactions given on one day in the community's timezone."""

    day: date
    messages: int
    reactions: int
    partial: bool = False  # today: the day is not over yet


@dataclass
class CommunityStats:
    """Everything /stats shows for one community and period."""

    community_id: int
    title: str
    timezone: str
    days: int
    now: datetime
    period_start: date  # first local day of the period (the period ends today, local)
    members_known: int = 0
    members_reachable: int = 0
    active_members_7d: int = 0
    active_members_30d: int = 0
    messages_total: int = 0
    reactions_total: int = 0
    messages_period: int = 0
    reactions_period: int = 0
    messages_previous: int = 0
    reactions_previous: int = 0
    new_members: int = 0
    departed_members: int = 0
    # Newcomers who started the bot through a member's /invitefriend link; of them, who came.
    referrals_started: int = 0
    referrals_attended: int = 0
    segments: dict[str, int] = field(default_factory=dict)
    daily: list[DayActivity] = field(default_factory=list)
    # Messages by local weekday (0 = Monday) and hour, over the period.
    heatmap: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])
    salons: list[SalonFunnel] = field(default_factory=list)
    campaigns: list[CampaignGroups] = field(default_factory=list)
    # Each campaign's uplift: filled from `campaigns` by bot.campaigns.uplift.with_uplift.
    uplift: list = field(default_factory=list)
    model: ModelFigures = field(default_factory=ModelFigures)
    revenue: Revenue = field(default_factory=Revenue)

    @property
    def reachable_share(self) -> float | None:
        """Members the bot may message / members known."""
        return self.members_reachable / self.members_known if self.members_known else None

    def to_json(self) -> dict:
        """The figures as plain JSON values (`salonbot stats --json`)."""
        scalars = (
            "community_id",
            "title",
            "timezone",
            "days",
            "members_known",
            "members_reachable",
            "active_members_7d",
            "active_members_30d",
            "messages_total",
            "reactions_total",
            "messages_period",
            "reactions_period",
            "messages_previous",
            "reactions_previous",
            "new_members",
            "departed_members",
            "referrals_started",
            "referrals_attended",
        )
        data = {name: getattr(self, name) for name in scalars}
        data.update(
            generated_at=self.now.isoformat(),
            period_start=self.period_start.isoformat(),
            reachable_share=self.reachable_share,
            segments=dict(self.segments),
            daily=[
                {
                    "day": d.day.isoformat(),
                    "messages": d.messages,
                    "reactions": d.reactions,
                    "partial": d.partial,
                }
                for d in self.daily
            ],
            heatmap=self.heatmap,
            salons=[s.to_json() for s in self.salons],
            uplift=[u.to_json() for u in self.uplift],
            model=self.model.to_json(),
            revenue=self.revenue.to_json(),
        )
        return data


def period_start(days: int, now: datetime, timezone: str = "UTC") -> date:
    """The first day of a period of `days` days ending today, days in `timezone`."""
    return now.astimezone(ZoneInfo(timezone)).date() - timedelta(days=days - 1)


def local_midnight(day: date, timezone: str) -> datetime:
    """The UTC moment a local day begins."""
    return datetime.combine(day, time(), ZoneInfo(timezone)).astimezone(UTC)


async def get_community_stats(
    community_id: int,
    *,
    session: AsyncSession,
    days: int = 30,
    now: datetime | None = None,
    stale_after_days: int = 3,
) -> CommunityStats | None:
    """All figures of one community over the last `days` days (None: unknown community)."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be between 1 and {MAX_DAYS}")
    community = await session.get(Community, community_id)
    if community is None:
        return None
    now = now or utcnow()
    stats = CommunityStats(
        community_id,
        community.title,
        community.timezone,
        days,
        now,
        period_start(days, now, community.timezone),
    )
    await _members(stats, session=session)
    await _activity(stats, session=session)
    stats.segments = await count_segments(community_id, session=session)
    stats.referrals_started, stats.referrals_attended = await count_referrals(
        community_id, session=session
    )
    since = local_midnight(stats.period_start, stats.timezone)
    salons = await session.scalars(
        select(Salon)
        .where(
            Salon.community_id == community_id,
            Salon.starts_at >= since,
            Salon.status.not_in([SALON_DRAFT, SALON_CANCELLED]),
        )
        .order_by(Salon.starts_at, Salon.id)
    )
    stats.salons = await list_salon_funnels(list(salons), session=session)
    stats.campaigns = await list_campaign_groups(stats.salons, session=session)
    stats.revenue = await get_revenue(community_id, since, session=session)
    stats.model = await get_model_figures(
        community_id, session=session, now=now, stale_after_days=stale_after_days
    )
    return stats


async def _members(stats: CommunityStats, *, session: AsyncSession) -> None:
    m, cid, now = Membership, stats.community_id, stats.now
    stats.members_known, stats.members_reachable = await count_members(cid, session=session)

    async def count(*conditions) -> int:
        return int(
            await session.scalar(select(func.count()).where(m.community_id == cid, *conditions))
        )

    stats.active_members_7d = await count(m.last_active_at > now - timedelta(days=7))
    stats.active_members_30d = await count(m.last_active_at > now - timedelta(days=30))
    since = local_midnight(stats.period_start, stats.timezone)
    stats.new_members = await count(m.joined_at >= since, m.joined_at <= now)
    stats.departed_members = await count(
        m.left_at >= since, m.left_at <= now, m.is_member.is_(False)
    )


def _split(total: int, weights: dict[date, int], fallback: date) -> dict[date, int]:
    """`total` shared out over days in proportion to `weights` (largest remainders)."""
    weight = sum(weights.values())
    if weight <= 0:
        return {fallback: total}
    exact = {d: total * w / weight for d, w in weights.items()}
    shares = {d: int(v) for d, v in exact.items()}
    left = total - sum(shares.values())
    for d in sorted(exact, key=lambda d: shares[d] - exact[d])[:left]:
        shares[d] += 1
    return shares


async def _activity(stats: CommunityStats, *, session: AsyncSession) -> None:
    """Daily figures and the heatmap over local days.

    The rollup is kept per UTC day with messages per UTC hour: each hour's messages go to the
    local day (and hour) they fall on; a UTC day's reactions, which have no hours, are shared
    out like its messages (or go to the local day of its noon).
    """
    cid, start, days = stats.community_id, stats.period_start, stats.days
    previous = start - timedelta(days=days)
    total = await session.execute(
        select(func.sum(daily.c.messages), func.sum(daily.c.reactions)).where(
            daily.c.community_id == cid
        )
    )
    messages, reactions = total.one()
    stats.messages_total, stats.reactions_total = int(messages or 0), int(reactions or 0)
    rows = await session.execute(
        select(daily.c.day, daily.c.messages, daily.c.reactions, *(daily.c[h] for h in HOURS))
        .where(daily.c.community_id == cid, daily.c.day >= previous - timedelta(days=1))
        .order_by(daily.c.day)
    )
    zone = ZoneInfo(stats.timezone)
    today = stats.now.astimezone(zone).date()
    by_day: dict[date, list[int]] = {}
    for day, msgs, reacts, *hours in rows:
        midnight = datetime.combine(day, time(), UTC)
        noon = (midnight + timedelta(hours=12)).astimezone(zone).date()
        weights: dict[date, int] = {}
        for hour, count in enumerate(hours):
            if not count:
                continue
            local = (midnight + timedelta(hours=hour)).astimezone(zone)
            weights[local.date()] = weights.get(local.date(), 0) + count
            if start <= local.date() <= today:
                stats.heatmap[local.weekday()][local.hour] += count
        for index, total_of_day in ((0, msgs), (1, reacts)):
            for local_day, share in _split(total_of_day, weights, noon).items():
                by_day.setdefault(local_day, [0, 0])[index] += share
    for day, (msgs, reacts) in by_day.items():
        if previous <= day < start:
            stats.messages_previous += msgs
            stats.reactions_previous += reacts
        elif start <= day <= today:
            stats.messages_period += msgs
            stats.reactions_period += reacts
    stats.daily = [
        DayActivity(d, *by_day.get(d, (0, 0)), partial=d == today)
        for d in (start + timedelta(days=i) for i in range(days))
    ]
