"""A small community with known activity, members, salons, a campaign and a model run.

`seed_community` writes it through the storage functions the bot uses and returns the plain
facts it was built from, so tests can count every /stats figure independently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from storage.activity import add_activity
from storage.events import SEEN, MemberEvent, MessageEvent, ReactionEvent
from storage.models import Campaign, Invitation, Signup
from storage.models.activity import LEAVE
from storage.models.runs import RUN_OK
from storage.runs import add_run, finish_run, replace_segments
from storage.salons import NewSalon, add_salon
from storage.users import CommunityInfo, UserInfo, mark_started, upsert_communities, upsert_user
from tests.updates import COMMUNITY_ID

MEMBERS = list(range(2001, 2013))  # 12 humans
BOT_MEMBER = 2099
REACHABLE = MEMBERS[:7]


@dataclass
class Facts:
    """What the community was built from (the independent side of every check)."""

    now: datetime
    messages: list[tuple[int, datetime]] = field(default_factory=list)
    reactions: list[tuple[int, datetime, bool]] = field(default_factory=list)  # added?
    joins: dict[int, datetime] = field(default_factory=dict)
    leaves: dict[int, datetime] = field(default_factory=dict)
    segments: dict[int, str] = field(default_factory=dict)
    # salon key -> [(user, status, source, attended, rating)]
    signups: dict[str, list[tuple]] = field(default_factory=dict)
    invitations: list[tuple[int, bool, float]] = field(default_factory=list)  # salon "past"
    salon_ids: dict[str, int] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)


def _ago(now: datetime, days: float, hours: float = 0) -> datetime:
    return now - timedelta(days=days, hours=hours)


async def seed_community(db, *, now: datetime | None = None) -> Facts:
    """Build the community; `now` defaults to the current time."""
    now = now or datetime.now(UTC).replace(microsecond=0)
    f = Facts(now)
    # Messages: this week, earlier this month, the previous 30 days, long ago.
    plan = {
        2001: [0.1, 1, 2, 20],
        2002: [3, 8, 35],
        2003: [12, 40, 45],
        2004: [50],
        2005: [200],
        2006: [6.5],
        2008: [29.4],
        2009: [0.5, 0.6, 31],
    }
    for user, days in plan.items():
        for i, d in enumerate(days):
            f.messages.append((user, _ago(now, d, hours=i)))
    f.reactions = [
        (2010, _ago(now, 2), True),
        (2011, _ago(now, 15), True),
        (2012, _ago(now, 1), False),
        (2004, _ago(now, 33), True),
    ]
    f.joins = {u: _ago(now, 10) for u in MEMBERS[:5]} | {2006: _ago(now, 40), 2007: _ago(now, 60)}
    f.leaves = {2007: _ago(now, 3)}
    events: list = [
        MessageEvent(COMMUNITY_ID, u, at, length=10, message_id=100 + i)
        for i, (u, at) in enumerate(f.messages)
    ]
    # A bot seen in the group is a membership but never a member in the figures.
    events.append(MemberEvent(COMMUNITY_ID, BOT_MEMBER, _ago(now, 1), kind=SEEN))
    events += [
        ReactionEvent(COMMUNITY_ID, u, at, "👍", added=added, message_id=100, target_user_id=2001)
        for u, at, added in f.reactions
    ]
    events += [MemberEvent(COMMUNITY_ID, u, at) for u, at in f.joins.items()]
    events += [MemberEvent(COMMUNITY_ID, u, at, kind=LEAVE) for u, at in f.leaves.items()]
    async with db.begin() as session:
        info = CommunityInfo(COMMUNITY_ID, "读书会", "Asia/Shanghai", "zh")
        await upsert_communities([info], session=session)
        for user in (*MEMBERS, BOT_MEMBER):
            await upsert_user(
                UserInfo(user, f"M{user}", is_bot=user == BOT_MEMBER), session=session
            )
        await add_activity(events, session=session)
        for user in REACHABLE:
            await mark_started(user, session=session, at=now)
        run = await add_run(COMMUNITY_ID, {}, session=session)
        f.segments = {u: ("core" if u < 2004 else "lurkers") for u in MEMBERS}
        await replace_segments(COMMUNITY_ID, run.id, f.segments, session=session)
        await finish_run(
            run.id,
            session=session,
            status=RUN_OK,
            started_at=now,
            kind="model",
            metrics={
                "backtest": {"model": {"auc": 0.8125}, "baselines": {"popularity": {"auc": 0.7}}}
            },
        )
        await _salons(f, session)
    return f


async def _salons(f: Facts, session) -> None:
    now = f.now
    specs = {
        "past": (_ago(now, 5), "published"),
        "next": (now + timedelta(days=3), "published"),
        "old": (_ago(now, 100), "published"),
        "draft": (_ago(now, 2), "draft"),
        "cancelled": (_ago(now, 4), "cancelled"),
    }
    for key, (starts, status) in specs.items():
        salon = await add_salon(
            NewSalon(COMMUNITY_ID, f"读书会 {key}", starts, capacity=10, status=status),
            session=session,
        )
        f.salon_ids[key], f.codes[key] = salon.id, salon.short_code
    f.signups = {
        "past": [
            (2001, "going", "invitation", True, 5),
            (2002, "going", "invitation", True, 4),
            (2003, "going", "self", False, None),
            (2004, "going", "self", True, None),
            (2005, "waitlist", "self", None, None),
            (2006, "declined", "invitation", None, None),
            (2008, "left", "self", None, None),
            (2009, "offered", "self", None, None),
        ],
        "next": [(2001, "going", "self", None, None), (2010, "waitlist", "self", None, None)],
        "old": [(2002, "going", "self", True, 3)],
        "cancelled": [(2003, "going", "self", None, None)],
    }
    for key, rows in f.signups.items():
        for user, status, source, attended, rating in rows:
            session.add(
                Signup(
                    salon_id=f.salon_ids[key],
                    user_id=user,
                    status=status,
                    source=source,
                    attended=attended,
                    rating=rating,
                )
            )
    # The past salon's campaign: six invited, four held out.
    f.invitations = [
        (2001, False, 0.5),
        (2002, False, 0.25),
        (2006, False, 0.125),
        (2010, False, 0.125),
        (2011, False, 0.5),
        (2012, False, 0.25),
        (2003, True, 0.5),
        (2004, True, 0.25),
        (2005, True, 0.1),
        (2007, True, 0.1),
    ]
    campaign = Campaign(
        salon_id=f.salon_ids["past"],
        community_id=COMMUNITY_ID,
        status="finished",
        holdout_share=0.4,
        seed=1,
        overbook=1.0,
        wave_hours=24,
        spread_hours=12,
        window_ends_at=_ago(now, 6),
        waves=1,
    )
    session.add(campaign)
    await session.flush()
    for user, holdout, p in f.invitations:
        session.add(
            Invitation(
                campaign_id=campaign.id,
                salon_id=f.salon_ids["past"],
                user_id=user,
                wave=1,
                holdout=holdout,
                probability=p,
                status="withheld" if holdout else "sent",
            )
        )
    await session.flush()
