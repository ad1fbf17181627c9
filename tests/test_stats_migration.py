"""Revision 0008 fills the community rollup and members' last activity from existing data."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from sqlalchemy import select

from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Community, GroupMessage, Membership, Reaction, User
from storage.models.activity import activity_daily
from storage.models.community_daily import activity_community_daily
from tests.test_migrations import empty_db_url  # noqa: F401 (the fixture)

C = -100777


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


async def _fill(url: str) -> None:
    engine = create_engine(url)
    async with session_factory(engine).begin() as session:
        await session.execute(
            Community.__table__.insert(),
            [{"id": C, "title": "t", "timezone": "UTC", "language": "en", "created_at": at(1, 0)}],
        )
        await session.execute(
            User.__table__.insert(),
            [
                {
                    "id": u,
                    "first_name": "",
                    "is_bot": False,
                    "dm_status": "unknown",
                    "tracking_opt_out": False,
                    "invites_opt_out": False,
                    "created_at": at(1, 0),
                    "updated_at": at(1, 0),
                }
                for u in (1, 2, 3, 4)
            ],
        )
        await session.execute(
            Membership.__table__.insert(),
            [
                {
                    "community_id": C,
                    "user_id": u,
                    "first_seen_at": at(1, 0),
                    "last_seen_at": at(9, 0),
                    "is_member": True,
                }
                for u in (1, 2, 3, 4)
            ],
        )
        rollup = {f"h{h:02d}": 0 for h in range(24)} | {
            "chars": 0,
            "replies_sent": 0,
            "replies_received": 0,
            "reactions_received": 0,
        }
        await session.execute(
            activity_daily.insert(),
            [
                rollup
                | {
                    "community_id": C,
                    "user_id": 1,
                    "day": date(2026, 3, 2),
                    "messages": 2,
                    "reactions_given": 0,
                    "h09": 2,
                },
                rollup
                | {
                    "community_id": C,
                    "user_id": 2,
                    "day": date(2026, 3, 2),
                    "messages": 1,
                    "reactions_given": 3,
                    "h10": 1,
                },
                # raw rows long gone: only the rollup knows member 3 was active on 1 March
                rollup
                | {
                    "community_id": C,
                    "user_id": 3,
                    "day": date(2026, 3, 1),
                    "messages": 0,
                    "reactions_given": 1,
                },
                # only replied to: not active
                rollup
                | {
                    "community_id": C,
                    "user_id": 4,
                    "day": date(2026, 3, 2),
                    "messages": 0,
                    "reactions_given": 0,
                    "replies_received": 1,
                },
            ],
        )
        await session.execute(
            GroupMessage.__table__.insert(),
            [
                {
                    "community_id": C,
                    "message_id": i,
                    "user_id": u,
                    "sent_at": t,
                    "kind": "text",
                    "length": 1,
                    "forwarded": False,
                    "source": "bot",
                }
                for i, (u, t) in enumerate(
                    [(1, at(2, 9)), (1, at(2, 9).replace(minute=30)), (2, at(2, 10))]
                )
            ],
        )
        await session.execute(
            Reaction.__table__.insert(),
            [
                {
                    "community_id": C,
                    "user_id": 2,
                    "emoji": "👍",
                    "added": added,
                    "reacted_at": t,
                    "source": "bot",
                    "row_hash": f"h{i}",
                }
                for i, (t, added) in enumerate(
                    [(at(2, 11), True), (at(2, 12), True), (at(2, 13), True), (at(2, 14), False)]
                )
            ],
        )
    await engine.dispose()


async def _read(url: str):
    engine = create_engine(url)
    async with session_factory(engine).begin() as session:
        days = (await session.execute(select(activity_community_daily))).mappings().all()
        active = dict(
            (await session.execute(select(Membership.user_id, Membership.last_active_at))).all()
        )
    await engine.dispose()
    return days, active


async def test_backfill_from_rollups_and_raw_rows(empty_db_url):  # noqa: F811
    await asyncio.to_thread(upgrade, empty_db_url, "0007")
    await _fill(empty_db_url)
    await asyncio.to_thread(upgrade, empty_db_url)
    days, active = await _read(empty_db_url)
    by_day = {d["day"]: d for d in days}
    assert sorted(by_day) == [date(2026, 3, 1), date(2026, 3, 2)]
    march2 = by_day[date(2026, 3, 2)]
    assert (march2["messages"], march2["reactions"], march2["h09"], march2["h10"]) == (3, 3, 2, 1)
    assert (by_day[date(2026, 3, 1)]["messages"], by_day[date(2026, 3, 1)]["reactions"]) == (0, 1)
    # exact times from raw rows (a removed reaction is no activity), else the rollup's day
    assert active == {1: at(2, 9).replace(minute=30), 2: at(2, 13), 3: at(1, 0), 4: None}
