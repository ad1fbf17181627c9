"""Organizers are told what happens: the digest (each, hourly, daily) and immediate notes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.common.config import CommunityConfig
from bot.salons.digest import digest_boundary, tell_organizers
from storage.models import OutboxMessage, Poll, SalonActivity, Signup
from storage.signups import add_signup, cancel_signup
from storage.types import utcnow
from storage.users import UserInfo, upsert_user
from storage.waitlist import claim_offer
from tests.conftest import make_config, started_app
from tests.organizer import ZH_ORGANIZER
from tests.salon_helpers import make_salon, make_users, member
from tests.updates import COMMUNITY_ID, EN_USER, ORGANIZER, ZH_USER, message, reply

ME = ORGANIZER["id"]
HOUR = timedelta(hours=1)


def _config(db_url, digest="each", **community):
    config = make_config(db_url)
    data = config.model_dump()
    data["communities"][0].update(digest=digest, **community)
    return make_config(db_url, communities=data["communities"])


async def _organizer(db, user=ORGANIZER):
    async with db.begin() as session:
        info = UserInfo(user["id"], user["first_name"], language_code=user["language_code"])
        await upsert_user(info, session=session)


async def _digests(db) -> list[OutboxMessage]:
    async with db.begin() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "digest")
        return list(await session.scalars(query.order_by(OutboxMessage.id)))


async def test_storage_records_signups_waitlist_leaves_and_moves(app, db):
    salon = await make_salon(db, capacity=1)
    await make_users(db, [EN_USER, ZH_USER])
    async with db.begin() as session:
        await add_signup(salon.id, EN_USER["id"], session=session)
        await add_signup(salon.id, ZH_USER["id"], session=session)
        left = await cancel_signup(salon.id, EN_USER["id"], session=session, offer_window=HOUR)
        assert [o.user_id for o in left.offers] == [ZH_USER["id"]]
        await claim_offer(salon.id, ZH_USER["id"], session=session)
    async with db.begin() as session:
        rows = list(await session.scalars(select(SalonActivity).order_by(SalonActivity.id)))
    assert [(r.kind, r.user_id) for r in rows] == [
        ("joined", EN_USER["id"]), ("full", None), ("waitlisted", ZH_USER["id"]),
        ("left", EN_USER["id"]), ("moved_up", ZH_USER["id"]),
    ]  # fmt: skip
    assert all(r.community_id == COMMUNITY_ID and r.reported_at is None for r in rows)


@pytest.mark.parametrize("organizer", [ORGANIZER, ZH_ORGANIZER])
async def test_each_signup_digest_and_a_full_note_in_the_organizers_language(
    db_url, db, fake_request, organizer
):
    async with started_app(_config(db_url, "each"), fake_request) as app:
        await _organizer(db, organizer)
        salon = await make_salon(db, capacity=2, title="读书夜")
        for user in (EN_USER, ZH_USER, member(6001)):
            await app.process_update(message(f"/join {salon.short_code}", user, bot=app.bot))
        await app.process_update(message(f"/leave {salon.short_code}", EN_USER, bot=app.bot))
        assert await tell_organizers(db, app.bot_data.config) == 2
        assert await tell_organizers(db, app.bot_data.config) == 0  # idempotent
    note, digest = await _digests(db)
    assert note.chat_id == digest.chat_id == ME
    if organizer is ORGANIZER:
        assert note.payload["text"] == (
            "🈵 «读书夜» is full: every seat is taken. New signups join the waitlist."
        )
        assert digest.payload["text"] == (
            "📰 What happened at your salons in 读书会:\n\n«读书夜»\n"
            "🙋 Signed up (2): Alice, 小明\n⏳ Joined the waitlist (1): M6001\n👋 Left (1): Alice"
        )
    else:
        assert note.payload["text"].startswith("🈵 「读书夜」已满")
        text = digest.payload["text"]
        assert text.startswith("📰 你在读书会的沙龙有这些新动态：\n\n「读书夜」\n")
        assert "🙋 报名（2）：Alice、小明" in digest.payload["text"]
        assert "👋 退出（1）：Alice" in digest.payload["text"]


async def test_a_daily_digest_waits_for_its_hour_but_notes_do_not(db_url, db, fake_request):
    async with started_app(_config(db_url, "daily", digest_hour=9), fake_request) as app:
        await _organizer(db)
        salon = await make_salon(db, capacity=1)
        await app.process_update(message(f"/join {salon.short_code}", EN_USER, bot=app.bot))
        assert await tell_organizers(db, app.bot_data.config) == 1
        [note] = await _digests(db)
        assert note.payload["text"].startswith("🈵 «Reading night 读书夜» is full")
        # The signup happened after today's (or yesterday's) 09:00: it waits for the next one.
        async with db.begin() as session:
            kinds = [(r.kind, r.reported_at is None) for r in await session.scalars(
                select(SalonActivity).order_by(SalonActivity.id))]  # fmt: skip
        assert kinds == [("joined", True), ("full", False)]


async def test_a_feedback_comment_reaches_the_organizers_at_once(app, fake_request, db):
    await _organizer(db)
    salon = await make_salon(db, starts_in=timedelta(hours=-5))
    await make_users(db, [EN_USER])
    async with db.begin() as session:
        session.add(Signup(salon_id=salon.id, user_id=EN_USER["id"], status="going", rating=4))
        session.add(Poll(poll_id="p1", salon_id=salon.id, user_id=EN_USER["id"],
                         prompt_message_id=777))  # fmt: skip
    await app.process_update(reply("Great talk, more please", EN_USER, 777, bot=app.bot))
    assert fake_request.sent_texts(EN_USER["id"])[-1].startswith("Thank you! I passed")
    assert await tell_organizers(db, app.bot_data.config) == 1
    [note] = await _digests(db)
    assert note.chat_id == ME and note.payload["text"] == (
        "💬 Alice commented on «Reading night 读书夜» (rated 4/5):\nGreat talk, more please"
    )


def test_digest_boundaries_per_cadence():
    now = datetime(2026, 12, 4, 14, 50, tzinfo=UTC)  # 22:50 in Shanghai
    shanghai = {"chat_id": -100, "title": "t", "timezone": "Asia/Shanghai"}
    assert digest_boundary(CommunityConfig(**shanghai, digest="off"), now) is None
    assert digest_boundary(CommunityConfig(**shanghai, digest="each"), now) > now
    assert digest_boundary(CommunityConfig(**shanghai, digest="hourly"), now) == now.replace(
        minute=0
    )
    daily = digest_boundary(CommunityConfig(**shanghai, digest="daily", digest_hour=9), now)
    assert daily == datetime(2026, 12, 4, 1, 0, tzinfo=UTC)  # 09:00 Shanghai today
    early = digest_boundary(CommunityConfig(**shanghai, digest="daily", digest_hour=23), now)
    assert early == datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # 23:00 Shanghai yesterday
    assert utcnow() > early
