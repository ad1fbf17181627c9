"""storage.timeshift: the demo's time travel moves one salon's rows, and makes work due."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from storage.models import OutboxMessage, Signup
from storage.outbox import enqueue
from storage.salons import get_salon
from storage.schedule import list_due_reminders
from storage.signups import add_signup
from storage.timeshift import shift_salon_back
from storage.types import utcnow
from storage.users import CommunityInfo, UserInfo, upsert_communities, upsert_user
from tests.organizer import stored_salon
from tests.updates import COMMUNITY_ID


async def test_shift_moves_every_timestamp_of_one_salon_and_makes_reminders_due(db):
    async with db.begin() as session:
        await upsert_communities(
            [CommunityInfo(COMMUNITY_ID, "读书会", "Asia/Shanghai", "zh")], session=session
        )
    moved = await stored_salon(db, days=7, ends_after=timedelta(hours=2))
    other = await stored_salon(db, days=7, title="Other")
    async with db.begin() as session:
        await upsert_user(UserInfo(1001, "小明", language_code="zh-hans"), session=session)
        for salon in (moved, other):
            await add_signup(salon.id, 1001, session=session)
            await enqueue(f"x:{salon.id}", session=session, kind="notice", chat_id=1001,
                          user_id=1001, salon_id=salon.id, payload={"text": "hi"})  # fmt: skip
        assert await list_due_reminders([24.0], session=session) == []
    async with db.begin() as session:
        before = {s.salon_id: s.responded_at for s in await session.scalars(select(Signup))}
        changed = await shift_salon_back(moved.id, timedelta(days=6, hours=1), session=session)
    assert changed == 3  # the salon, its signup, its outbox row
    async with db.begin() as session:
        salons = {s.id: s for s in [moved, other]}
        for salon_id in salons:
            salons[salon_id] = await get_salon(salon_id, session=session)
        signups = {s.salon_id: s for s in await session.scalars(select(Signup))}
        outbox = {o.salon_id: o for o in await session.scalars(select(OutboxMessage))}
        due = await list_due_reminders([24.0], session=session)
    shift = timedelta(days=6, hours=1)
    assert salons[moved.id].starts_at == moved.starts_at - shift
    assert salons[moved.id].ends_at == moved.ends_at - shift
    assert salons[other.id].starts_at == other.starts_at
    assert signups[moved.id].responded_at == before[moved.id] - shift
    assert signups[other.id].responded_at == before[other.id]
    assert outbox[moved.id].not_before < utcnow() - timedelta(days=6)
    assert outbox[other.id].not_before > utcnow() - timedelta(minutes=5)
    assert [(d.salon.id, d.user_id, d.hours) for d in due] == [(moved.id, 1001, 24.0)]
