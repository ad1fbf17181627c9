"""The shared list of a chat's admins: a list asked for before a change of admins is refused."""

from __future__ import annotations

from datetime import timedelta

from storage.admins import drop_admins, get_admins, upsert_admins
from storage.types import utcnow

CHAT = -100123
LIST_LIFE = timedelta(minutes=10)


async def test_a_list_asked_for_before_a_change_is_not_stored(db):
    now = utcnow()
    later = now + timedelta(minutes=10)
    async with db.begin() as session:
        assert await upsert_admins(CHAT, frozenset({1, 2}), asked_at=now, expires_at=later,
                                   session=session)  # fmt: skip
        assert await get_admins(CHAT, now, session=session) == frozenset({1, 2})
        # Another process sees 2 demoted while this one was asking Telegram (at now + 1 s).
        await drop_admins(CHAT, now + timedelta(seconds=2), session=session)
        assert await get_admins(CHAT, now + timedelta(seconds=2), session=session) is None
        stale = await upsert_admins(CHAT, frozenset({1, 2}), asked_at=now + timedelta(seconds=1),
                                    expires_at=later, session=session)  # fmt: skip
        assert not stale and await get_admins(CHAT, now + timedelta(seconds=3),
                                              session=session) is None  # fmt: skip
        fresh = await upsert_admins(CHAT, frozenset({1}), asked_at=now + timedelta(seconds=3),
                                    expires_at=later, session=session)  # fmt: skip
        assert fresh and await get_admins(CHAT, now + timedelta(seconds=4),
                                          session=session) == frozenset({1})  # fmt: skip


async def test_a_drop_before_any_list_still_refuses_an_older_answer(db):
    now = utcnow()
    async with db.begin() as session:
        await drop_admins(CHAT, now, session=session)
        earlier = now - timedelta(seconds=1)
        stored = await upsert_admins(
            CHAT, frozenset({7}), asked_at=earlier, expires_at=now + LIST_LIFE, session=session
        )
        assert not stored and await get_admins(CHAT, now, session=session) is None


async def test_an_erasure_forgets_every_list_ids_included(db):
    now = utcnow()
    async with db.begin() as session:
        for chat in (CHAT, CHAT - 1):
            await upsert_admins(
                chat, frozenset({5}), asked_at=now, expires_at=now + LIST_LIFE, session=session
            )
        await drop_admins(None, now, session=session)
        assert await get_admins(CHAT, now - timedelta(seconds=1), session=session) == frozenset()
        assert await get_admins(CHAT - 1, now, session=session) is None
