"""Users, communities and memberships on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage.models import DM_BLOCKED, DM_REACHABLE, Community, Membership, User
from storage.users import (
    CommunityInfo,
    UserInfo,
    list_user_communities,
    mark_started,
    mark_unreachable,
    upsert_communities,
    upsert_membership,
    upsert_user,
)

BIG_ID = 7_000_000_001  # Telegram ids exceed 32 bits


async def test_upsert_user_creates_then_updates(db):
    async with db.begin() as session:
        await upsert_user(UserInfo(BIG_ID, "Li", language_code="zh-hans"), session=session)
    async with db.begin() as session:
        await upsert_user(UserInfo(BIG_ID, "Li Lei", username="lilei"), session=session)
    async with db.begin() as session:
        users = (await session.scalars(select(User))).all()
    assert [(u.id, u.first_name, u.username, u.dm_status) for u in users] == [
        (BIG_ID, "Li Lei", "lilei", "unknown")
    ]


async def test_reachability_is_tracked_with_reason(db):
    async with db.begin() as session:
        await upsert_user(UserInfo(5, "A"), session=session)
        await mark_started(5, session=session)
    async with db.begin() as session:
        user = await session.get(User, 5)
        assert user.dm_status == DM_REACHABLE
        assert user.started_at.tzinfo is not None
        await mark_unreachable(5, "Forbidden: bot was blocked by the user", session=session)
    async with db.begin() as session:
        user = await session.get(User, 5)
        assert (user.dm_status, user.dm_reason) == (
            DM_BLOCKED,
            "Forbidden: bot was blocked by the user",
        )


async def test_memberships_and_timestamps_are_utc(db):
    joined = datetime(2026, 1, 2, 20, 0, tzinfo=UTC) + timedelta(hours=8)
    async with db.begin() as session:
        await upsert_communities(
            [CommunityInfo(-100, "读书会", "Asia/Shanghai", "zh")], session=session
        )
        await upsert_communities([CommunityInfo(-100, "Reading", "UTC", "en")], session=session)
        await upsert_user(UserInfo(9, "B"), session=session)
        await upsert_membership(-100, 9, session=session, joined_at=joined, seen_at=joined)
        await upsert_membership(-100, 9, session=session)
    async with db.begin() as session:
        community = await session.get(Community, -100)
        membership = await session.get(Membership, (-100, 9))
        assert community.title == "Reading"
        assert membership.joined_at == joined
        assert membership.joined_at.utcoffset() == timedelta(0)
        assert membership.last_seen_at > joined
        assert await list_user_communities(9, session=session) == [-100]
