"""Members known and reachable: the SQLite counters stay equal to counting with the join, after
joins, leaves, returns, /start, blocks, bots, privacy deletion, cascades and raw SQL."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, insert, select, update

from storage.activity import add_activity
from storage.db import create_engine, session_factory
from storage.events import JOIN, LEAVE, SEEN, MemberEvent, MessageEvent
from storage.member_counts import count_members, count_members_by_join, counters_kept
from storage.memberships import add_memberships_if_missing
from storage.migrate import upgrade
from storage.models import Community, Membership, User
from storage.models.counts import community_counts
from storage.privacy import delete_user_data
from storage.users import (
    CommunityInfo,
    UserInfo,
    mark_started,
    mark_unreachable,
    upsert_communities,
    upsert_user,
)
from tests.test_migrations import empty_db_url  # noqa: F401 (the fixture)

A, B = -100501, -100502
USERS = list(range(7001, 7016))
T0 = datetime(2026, 11, 1, tzinfo=UTC)


async def check(db) -> dict[int, tuple[int, int]]:
    """Every community's counts equal the join; on SQLite they come from the counters."""
    async with db.begin() as session:
        ids = list(await session.scalars(select(Community.id)))
        kept = await counters_kept(session=session)
        stored = dict(
            (c, (k, r))
            for c, k, r in await session.execute(select(*community_counts.c))
        )  # fmt: skip
        sqlite = session.get_bind().dialect.name == "sqlite"
        result = {}
        for cid in ids:
            joined = await count_members_by_join(cid, session=session)
            assert await count_members(cid, session=session) == joined
            if kept:
                assert stored[cid] == joined, (cid, stored, joined)
            result[cid] = joined
    assert kept == sqlite
    return result


async def test_counts_follow_every_kind_of_write(db):
    async with db.begin() as session:
        await upsert_communities(
            [CommunityInfo(A, "A", "UTC", "en"), CommunityInfo(B, "B", "UTC", "zh")],
            session=session,
        )
    assert await check(db) == {A: (0, 0), B: (0, 0)}
    rng = random.Random(7)
    at = T0
    for step in range(160):
        at += timedelta(minutes=rng.randint(1, 90))
        user, community = rng.choice(USERS), rng.choice((A, B))
        op = rng.choice(
            ["message", "join", "leave", "seen", "start", "block", "bot", "human", "roster",
             "delete_membership", "delete_user", "forget", "rename"]
        )  # fmt: skip
        async with db.begin() as session:
            exists = await session.get(User, user) is not None
            if op == "message":
                await add_activity(
                    [MessageEvent(community, user, at, length=5, message_id=step)],
                    session=session,
                )
            elif op in ("join", "leave", "seen"):
                kind = {"join": JOIN, "leave": LEAVE, "seen": SEEN}[op]
                await add_activity([MemberEvent(community, user, at, kind=kind)], session=session)
            elif op == "start":
                await upsert_user(UserInfo(user, "U"), session=session)
                await mark_started(user, session=session, at=at)
            elif op == "block":
                await mark_unreachable(user, "Forbidden: bot was blocked", session=session)
            elif op in ("bot", "human"):
                await upsert_user(UserInfo(user, "U", is_bot=op == "bot"), session=session)
            elif op == "roster" and exists:
                await add_memberships_if_missing([(community, user)], at, session=session)
            elif op == "delete_membership":
                await session.execute(
                    delete(Membership).where(
                        Membership.community_id == community, Membership.user_id == user
                    )
                )
            elif op == "delete_user":  # memberships go by the cascade
                await session.execute(delete(User).where(User.id == user))
            elif op == "forget" and exists:
                await delete_user_data(user, session=session)
            elif op == "rename":  # an update that changes nothing counted
                await session.execute(
                    update(User).where(User.id == user).values(first_name=f"N{step}")
                )
        await check(db)
    counts = await check(db)
    assert any(known for known, _ in counts.values())  # the walk did build members


async def test_a_bot_a_reachable_member_and_a_leave(db):
    async with db.begin() as session:
        await upsert_communities([CommunityInfo(A, "A", "UTC", "en")], session=session)
        for user in (1, 2, 3):
            await upsert_user(UserInfo(user, "U", is_bot=user == 3), session=session)
        await add_activity([MemberEvent(A, u, T0, kind=JOIN) for u in (1, 2, 3)], session=session)
        await mark_started(1, session=session, at=T0)
    assert (await check(db))[A] == (2, 1)
    async with db.begin() as session:
        await add_activity(
            [MemberEvent(A, 1, T0 + timedelta(hours=1), kind=LEAVE)], session=session
        )
    assert (await check(db))[A] == (1, 0)
    async with db.begin() as session:  # back: seen writing after the leave
        await add_activity(
            [MessageEvent(A, 1, T0 + timedelta(hours=2), length=3, message_id=9)], session=session
        )
    assert (await check(db))[A] == (2, 1)
    async with db.begin() as session:
        await session.execute(delete(Community).where(Community.id == A))
    assert await check(db) == {}


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_raw_sql_with_foreign_keys_off_is_counted_too(db_url, db):
    """A raw connection (foreign keys off, SQLite's default): orphan memberships count for
    nothing, as in the join, until their user arrives."""
    async with db.begin() as session:
        await upsert_communities([CommunityInfo(A, "A", "UTC", "en")], session=session)
    raw = sqlite3.connect(db_url.removeprefix("sqlite+aiosqlite:///"), isolation_level=None)
    try:
        raw.execute(
            "INSERT INTO memberships (community_id, user_id, first_seen_at, last_seen_at,"
            " is_member) VALUES (?, 50, '2026-11-01 00:00:00.000000',"
            " '2026-11-01 00:00:00.000000', 1)",
            (A,),
        )
        assert (await check(db))[A] == (0, 0)
        raw.execute(
            "INSERT INTO users (id, first_name, is_bot, dm_status, tracking_opt_out,"
            " invites_opt_out, created_at, updated_at) VALUES (50, '', 0, 'reachable', 0, 0,"
            " '2026-11-01 00:00:00.000000', '2026-11-01 00:00:00.000000')"
        )
        assert (await check(db))[A] == (1, 1)
        raw.execute("UPDATE users SET id = 51 WHERE id = 50")
        assert (await check(db))[A] == (0, 0)
        raw.execute("UPDATE memberships SET user_id = 51 WHERE user_id = 50")
        assert (await check(db))[A] == (1, 1)
        raw.execute("DELETE FROM users WHERE id = 51")
        assert (await check(db))[A] == (0, 0)
    finally:
        raw.close()


async def test_the_migration_fills_the_counts_of_an_existing_database(empty_db_url):  # noqa: F811
    await asyncio.to_thread(upgrade, empty_db_url, "0009")
    engine = create_engine(empty_db_url)
    async with session_factory(engine).begin() as session:
        await upsert_communities([CommunityInfo(A, "A", "UTC", "en")], session=session)
        for user, is_bot in ((1, False), (2, False), (3, False), (4, True)):
            await upsert_user(UserInfo(user, "U", is_bot=is_bot), session=session)
        # Memberships as the tracker wrote them then (today's writer also reads tables that
        # later revisions add, so the rows go in directly): 1, 2 and 4 joined, 3 joined and left.
        for user in (1, 2, 3, 4):
            left = T0 + timedelta(hours=1) if user == 3 else None
            await session.execute(
                insert(Membership).values(
                    community_id=A, user_id=user, first_seen_at=T0, last_seen_at=left or T0,
                    joined_at=T0, left_at=left, is_member=left is None,
                )
            )  # fmt: skip
        for user in (1, 3, 4):
            await mark_started(user, session=session, at=T0)
    await engine.dispose()
    await asyncio.to_thread(upgrade, empty_db_url)
    db = session_factory(create_engine(empty_db_url))
    try:
        assert (await check(db))[A] == (2, 1)  # 1 (reachable) and 2; 3 left, 4 is a bot
        async with db.begin() as session:
            await mark_started(2, session=session, at=T0)
        assert (await check(db))[A] == (2, 2)
    finally:
        await db.kw["bind"].dispose()
