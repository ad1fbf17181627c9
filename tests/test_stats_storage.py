"""/stats figures against independent counts of the facts the community was built from."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.campaigns.uplift import UNCLEAR, measure_campaign, with_uplift
from recommender.selection import uplift_interval
from storage.models import Campaign
from storage.stats import get_community_stats
from tests.stats_helpers import REACHABLE, Facts, seed_community
from tests.updates import COMMUNITY_ID

SIGNED_UP = ("going", "offered", "waitlist", "left")


def expected(f: Facts, days: int = 30) -> dict:
    """Every community figure, counted from the facts in plain Python, by Shanghai days."""
    zone = ZoneInfo("Asia/Shanghai")

    def local_day(at: datetime) -> date:
        return at.astimezone(zone).date()

    today = local_day(f.now)
    start = today - timedelta(days=days - 1)
    previous = start - timedelta(days=days)
    given = [(u, at) for u, at, added in f.reactions if added]
    actions = f.messages + given
    seen = {u for u, _ in f.messages} | {u for u, _, _ in f.reactions} | set(f.joins)
    members = seen - set(f.leaves)
    since = datetime.combine(start, time(), zone)
    heatmap = [[0] * 24 for _ in range(7)]
    daily = {start + timedelta(days=i): [0, 0] for i in range(days)}
    for _, at in f.messages:
        if local_day(at) >= start:
            local = at.astimezone(zone)
            heatmap[local.weekday()][local.hour] += 1
            daily[local_day(at)][0] += 1
    for _, at in given:
        if local_day(at) >= start:
            daily[local_day(at)][1] += 1
    return {
        "members_known": len(members),
        "members_reachable": len(members & set(REACHABLE)),
        "active_members_7d": len({u for u, at in actions if at > f.now - timedelta(days=7)}),
        "active_members_30d": len({u for u, at in actions if at > f.now - timedelta(days=30)}),
        "messages_total": len(f.messages),
        "reactions_total": len(given),
        "messages_period": sum(1 for _, at in f.messages if local_day(at) >= start),
        "reactions_period": sum(1 for _, at in given if local_day(at) >= start),
        "messages_previous": sum(1 for _, at in f.messages if previous <= local_day(at) < start),
        "reactions_previous": sum(1 for _, at in given if previous <= local_day(at) < start),
        "new_members": sum(1 for at in f.joins.values() if at >= since),
        "departed_members": sum(1 for at in f.leaves.values() if at >= since),
        "segments": {
            s: sum(1 for v in f.segments.values() if v == s) for s in set(f.segments.values())
        },
        "heatmap": heatmap,
        "daily": [(d, m, r) for d, (m, r) in sorted(daily.items())],
    }


def expected_funnel(f: Facts, key: str) -> dict:
    """One salon's funnel from its signups (and the past salon's invitations)."""
    rows = f.signups.get(key, [])
    ratings = [r for *_, r in rows if r is not None]
    invitations = f.invitations if key == "past" else []
    status = {u: s for u, s, *_ in rows}
    invited = [(u, p) for u, h, p in invitations if not h]
    holdout = [u for u, h, _ in invitations if h]
    return {
        "joined": sum(1 for _, s, *_ in rows if s in ("going", "offered")),
        "joined_by_invitation": sum(
            1 for _, s, src, *_ in rows if s in ("going", "offered") and src == "invitation"
        ),
        "waitlisted": sum(1 for _, s, *_ in rows if s == "waitlist"),
        "attended": sum(1 for *_, a, _ in rows if a is True),
        "no_show": sum(1 for *_, a, _ in rows if a is False),
        "rated": len(ratings),
        "rating_avg": sum(ratings) / len(ratings) if ratings else None,
        "invited": len(invited),
        "holdout": len(holdout),
        "predicted_turnout": sum(p for _, p in invited) if invitations else None,
        "invited_signups": sum(1 for u, _ in invited if status.get(u) in SIGNED_UP),
        "holdout_signups": sum(1 for u in holdout if status.get(u) in SIGNED_UP),
    }


def check(stats, f: Facts) -> None:
    want = expected(f)
    got = {k: getattr(stats, k) for k in want if k != "daily"}
    got["daily"] = [(d.day, d.messages) for d in stats.daily]
    daily_reactions = [r for _d, _m, r in want["daily"]]
    want["daily"] = [(d, m) for d, m, _r in want["daily"]]
    assert got == want
    # Reactions have no hour in the rollup: a UTC day's reactions go to the local days its
    # messages fell on, so each lands on its own local day or the one next to it.
    reactions = [d.reactions for d in stats.daily]
    assert sum(reactions) == sum(daily_reactions) == stats.reactions_period
    for i, count in enumerate(daily_reactions):
        assert count <= sum(reactions[max(i - 1, 0) : i + 2])
    assert [d.partial for d in stats.daily] == [False] * 29 + [True]
    assert [s.salon_id for s in stats.salons] == [f.salon_ids["past"], f.salon_ids["next"]]
    for funnel, key in zip(stats.salons, ("past", "next"), strict=True):
        wanted = expected_funnel(f, key)
        assert {k: getattr(funnel, k) for k in wanted} == wanted, key
    past = stats.salons[0]
    assert past.joined_by_self == past.joined - past.joined_by_invitation
    assert past.attendance_rate == past.attended / (past.attended + past.no_show)
    (uplift,) = with_uplift(stats).uplift
    assert uplift.salon_id == f.salon_ids["past"]
    assert uplift.uplift == uplift_interval(
        past.invited_signups, past.invited, past.holdout_signups, past.holdout
    )
    assert uplift.uplift.low < 0 < uplift.uplift.high and uplift.verdict == UNCLEAR
    assert stats.model.auc == 0.8125 and stats.model.baseline_auc == 0.7
    assert stats.model.stale is False and stats.model.kind == "model"
    assert (stats.revenue.gross, stats.revenue.refunds, stats.revenue.net) == (0, 0, 0)


async def test_every_figure_matches_an_independent_count(db):
    facts = await seed_community(db)
    async with db.begin() as session:
        live = await get_community_stats(COMMUNITY_ID, session=session, now=facts.now)
    check(live, facts)  # the campaign measured live (nothing stored yet)
    async with db.begin() as session:
        (campaign_id,) = list(await session.scalars(select(Campaign.id)))
        stored = await measure_campaign(campaign_id, session=session, now=facts.now)
    assert stored["invited"] == 6 and stored["holdout"] == 4
    async with db.begin() as session:
        again = await get_community_stats(COMMUNITY_ID, session=session, now=facts.now)
    check(again, facts)  # the same figures from what the campaigns tick stored
    data = with_uplift(again).to_json()
    for key in (
        "members_known",
        "members_reachable",
        "active_members_7d",
        "active_members_30d",
        "messages_total",
        "reactions_total",
        "messages_period",
        "reactions_period",
        "segments",
        "salons",
        "uplift",
        "model",
        "revenue",
    ):
        assert key in data
    salon = data["salons"][0]
    for key in (
        "event_id",
        "title",
        "starts_at",
        "invited",
        "holdout",
        "joined",
        "waitlisted",
        "attended",
        "no_show",
        "rating_avg",
        "predicted_turnout",
    ):
        assert key in salon


async def test_other_periods_and_stale_prior_model(db):
    facts = await seed_community(db)
    later = facts.now + timedelta(days=5)
    async with db.begin() as session:
        stats = await get_community_stats(
            COMMUNITY_ID, session=session, now=later, days=7, stale_after_days=3
        )
    zone = ZoneInfo("Asia/Shanghai")
    start = later.astimezone(zone).date() - timedelta(days=6)
    assert stats.period_start == start
    assert stats.messages_period == sum(
        1 for _, at in facts.messages if at.astimezone(zone).date() >= start
    )
    assert len(stats.daily) == 7 and stats.model.stale is True
    assert [s.salon_id for s in stats.salons] == [facts.salon_ids["next"]]


async def test_unknown_community_and_bad_period(db):
    async with db.begin() as session:
        assert await get_community_stats(-1, session=session) is None
        try:
            await get_community_stats(COMMUNITY_ID, session=session, days=0)
        except ValueError:
            pass
        else:
            raise AssertionError("days=0 accepted")


@pytest.mark.parametrize("utc_hour", [1, 20])  # 09:00 and 04:00 (the next day) in Shanghai
async def test_days_are_the_communitys_local_days(db, utc_hour):
    yesterday = datetime.now(UTC) - timedelta(days=1)
    now = yesterday.replace(hour=utc_hour, minute=30, second=0, microsecond=0)
    facts = await seed_community(db, now=now)
    async with db.begin() as session:
        stats = await get_community_stats(COMMUNITY_ID, session=session, now=now)
    check(stats, facts)
    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert stats.daily[-1].day == today and stats.daily[-1].partial
    assert stats.period_start == today - timedelta(days=29)
