"""Salon lookup and the outbox's dedupe key, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from storage.models import OutboxMessage
from storage.outbox import enqueue
from storage.salons import NewSalon, add_salon, find_salon, list_upcoming_salons
from storage.users import CommunityInfo, upsert_communities

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


async def _community(session, cid=-100):
    await upsert_communities([CommunityInfo(cid, "c", "UTC", "en")], session=session)


async def test_find_salon_by_id_code_and_source(db):
    async with db.begin() as session:
        await _community(session)
        await _community(session, -200)
        salon = await add_salon(
            NewSalon(-100, "读书会", NOW + timedelta(days=3), 20, source_id="mu-77"),
            session=session,
        )
        other = await add_salon(NewSalon(-200, "x", NOW + timedelta(days=1)), session=session)
    async with db.begin() as session:
        assert (await find_salon(str(salon.id), session=session)).id == salon.id
        assert (await find_salon(salon.short_code.lower(), session=session)).id == salon.id
        assert (await find_salon("mu-77", session=session)).id == salon.id
        assert await find_salon("mu-77", session=session, community_ids=[-200]) is None
        assert await find_salon("nope", session=session) is None
        assert await find_salon("9" * 40, session=session) is None
        upcoming = await list_upcoming_salons([-100, -200], session=session, now=NOW)
        assert [s.id for s in upcoming] == [other.id, salon.id]
        assert (
            await list_upcoming_salons([-100], session=session, now=NOW + timedelta(days=4)) == []
        )


async def test_enqueue_is_idempotent_on_dedupe_key(db):
    async with db.begin() as session:
        first = await enqueue("reminder:1:5:24", session=session, kind="reminder", chat_id=5,
                              payload={"text": "hi"})  # fmt: skip
        again = await enqueue("reminder:1:5:24", session=session, kind="reminder", chat_id=5,
                              payload={"text": "hi again"})  # fmt: skip
    async with db.begin() as session:
        count = await session.scalar(select(func.count()).select_from(OutboxMessage))
        row = (await session.scalars(select(OutboxMessage))).one()
    assert (first, again, count) == (True, False, 1)
    assert row.payload == {"text": "hi"} and row.status == "pending"
