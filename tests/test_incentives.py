"""Points, /me, /invitefriend and referrals, the monthly leaderboard, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bot.incentives.jobs import leaderboard_job, points_job
from bot.incentives.service import previous_month, referral_payload, referrer_of
from bot.outbox.dispatcher import send_payload
from storage.models import LeaderboardOptIn, OutboxMessage, PointEntry, Referral, Signup
from storage.models.salons import GOING
from storage.privacy import export_user_data
from storage.types import utcnow
from storage.users import upsert_membership
from tests.conftest import make_config, started_app
from tests.salon_helpers import job_context, make_salon, make_users, member
from tests.updates import COMMUNITY_ID, EN_USER, ORGANIZER, ZH_USER, callback_query, message

FRIEND = member(3001)


def _config(db_url, **points):
    community = {"chat_id": COMMUNITY_ID, "title": "读书会", "timezone": "Asia/Shanghai",
                 "language": "zh", "organizers": [ORGANIZER["id"]], "points": points}  # fmt: skip
    return make_config(db_url, communities=[community])


async def _signup(db, salon, user_id, **fields):
    async with db.begin() as session:
        session.add(Signup(salon_id=salon.id, user_id=user_id, status=GOING, **fields))


async def _points(db) -> dict[str, tuple[int, str, int]]:
    async with db.begin() as session:
        rows = await session.scalars(select(PointEntry).order_by(PointEntry.id))
        return {r.source_key: (r.user_id, r.kind, r.points) for r in rows}


async def test_points_for_check_in_feedback_and_a_whole_series_are_awarded_once(app, db):
    await make_users(db, [EN_USER, ZH_USER])
    one = await make_salon(db, tags=("series:python",), starts_in=timedelta(days=-9))
    two = await make_salon(db, tags=("series:python", "ai"), starts_in=timedelta(days=-2))
    await _signup(db, one, EN_USER["id"], attended=True, rating=5, rated_at=utcnow())
    await _signup(db, two, EN_USER["id"], attended=True)
    await _signup(db, one, ZH_USER["id"], attended=True)
    await _signup(db, two, ZH_USER["id"], attended=False)  # a no-show earns nothing
    old = await make_salon(db, starts_in=timedelta(days=-61))  # before the points window
    await _signup(db, old, ZH_USER["id"], attended=True, rating=5)
    await points_job(job_context(app))
    await points_job(job_context(app))  # idempotent
    points = await _points(db)
    en, zh = EN_USER["id"], ZH_USER["id"]
    assert sorted(points.values()) == sorted([
        (en, "attended", 10), (en, "attended", 10), (en, "feedback", 3), (en, "series", 20),
        (zh, "attended", 10),
    ])  # fmt: skip


async def test_points_per_community_are_configurable(db_url, db, fake_request):
    await make_users(db, [EN_USER])
    async with started_app(_config(db_url, attended=0, feedback=7), fake_request) as app:
        salon = await make_salon(db, starts_in=timedelta(days=-2))
        await _signup(db, salon, EN_USER["id"], attended=True, rating=4)
        await points_job(job_context(app))
    assert [v[1:] for v in (await _points(db)).values()] == [("feedback", 7)]


async def test_me_shows_points_streak_and_the_next_salon_in_both_languages(app, db, fake_request):
    await make_users(db, [EN_USER, ZH_USER])
    past = await make_salon(db, title="Past", tags=("ai",), starts_in=timedelta(days=-3))
    upcoming = await make_salon(db, title="AI soon", tags=("ai",))
    now = utcnow()
    await _signup(db, past, EN_USER["id"], attended=True, checked_in_at=now, rating=4, rated_at=now)
    await points_job(job_context(app))
    await app.process_update(message("/me", EN_USER, bot=app.bot))
    await app.process_update(message("/me", ZH_USER, bot=app.bot))
    [en] = fake_request.sent_texts(EN_USER["id"])
    assert "⭐ 13 points (13 this month)" in en
    assert "🔥 Streak: 1 salons in a row" in en
    assert "Next for you: «AI soon»" in en and f"/join {upcoming.short_code}" in en
    assert "💡 You joined salons about ai before." in en
    assert "leaderboard" not in en  # off by default
    [zh] = fake_request.sent_texts(ZH_USER["id"])
    assert "⭐ 0 分" in zh and "🔥 连续参加：0 场" in zh and "为你推荐的下一场：「AI soon」" in zh
    assert "带朋友来：/invitefriend" in zh


async def test_leaderboard_opt_in_by_button_and_the_monthly_post(db_url, db, fake_request):
    await make_users(db, [EN_USER, ZH_USER])
    async with started_app(_config(db_url, leaderboard=True), fake_request) as app:
        await app.process_update(message("/me", EN_USER, bot=app.bot))
        [sent] = fake_request.calls_to("sendMessage", chat_id=EN_USER["id"])
        [[button]] = sent.params["reply_markup"]["inline_keyboard"]
        assert button == {"text": "Join the leaderboard of 读书会",
                          "callback_data": f"PT:1:{COMMUNITY_ID}"}  # fmt: skip
        await app.process_update(callback_query(button["callback_data"], EN_USER, bot=app.bot))
        [edit] = fake_request.calls_to("editMessageText")
        assert "🏆 On the monthly leaderboard: yes" in edit.params["text"]
        # Forged: another community, a malformed flag.
        for data in ("PT:1:-100999", "PT:2:1", "PT:1:" + "9" * 30):
            await app.process_update(callback_query(data, ZH_USER, bot=app.bot))
        async with db.begin() as session:
            optins = [(o.community_id, o.user_id) for o in await session.scalars(
                select(LeaderboardOptIn))]  # fmt: skip
        assert optins == [(COMMUNITY_ID, EN_USER["id"])]
        alerts = [c.params for c in fake_request.calls_to("answerCallbackQuery")][1:]
        assert all(a["text"] == "这个按钮已失效。" and a["show_alert"] for a in alerts)

        # Last month: both earned points, only EN_USER opted in.
        last_month = previous_month(datetime.now(UTC).replace(day=1)) + timedelta(days=3)
        salon = await make_salon(db, starts_in=last_month - utcnow())
        await _signup(db, salon, EN_USER["id"], attended=True, checked_in_at=last_month)
        await _signup(db, salon, ZH_USER["id"], attended=True, checked_in_at=last_month)
        await points_job(job_context(app))
        await leaderboard_job(job_context(app))
        await leaderboard_job(job_context(app))
    async with db.begin() as session:
        posts = list(await session.scalars(select(OutboxMessage).where(
            OutboxMessage.kind == "leaderboard")))  # fmt: skip
    [post] = posts
    assert post.chat_id == COMMUNITY_ID
    text = post.payload["text"]
    assert text.startswith("🏆") and "月最活跃的成员" in text
    assert "🥇 Alice：10 分" in text and "小明" not in text
    # The dispatcher sends it to the group as stored.
    async with started_app(_config(db_url, leaderboard=True), fake_request) as app:
        await send_payload(app.bot, post)
    [sent] = fake_request.calls_to("sendMessage", chat_id=COMMUNITY_ID)
    assert sent.params["text"] == text


async def test_invitefriend_link_and_a_friend_who_comes_credits_the_referrer(app, db, fake_request):
    await make_users(db, [EN_USER])
    await app.process_update(message("/invitefriend", EN_USER, bot=app.bot))
    [sent] = fake_request.calls_to("sendMessage", chat_id=EN_USER["id"])
    payload = referral_payload(EN_USER["id"])
    assert payload == "r_ru" and referrer_of("ru") == EN_USER["id"]
    assert f"https://t.me/salon_test_bot?start={payload}" in sent.params["text"]
    assert "you earn 15 points" in sent.params["text"]

    await app.process_update(message(f"/start {payload}", FRIEND, bot=app.bot))
    await app.process_update(message(f"/start {payload}", EN_USER, bot=app.bot))  # self
    await app.process_update(message("/start r_!!", ZH_USER, bot=app.bot))  # malformed
    await app.process_update(message("/start r_zzzzzzzzzzzzzzzzz", ZH_USER, bot=app.bot))
    assert fake_request.sent_texts(FRIEND["id"])[0].startswith("Hello, M3001! A friend invited")
    async with db.begin() as session:
        referrals = [(r.referred_user_id, r.referrer_user_id)
                     for r in await session.scalars(select(Referral))]  # fmt: skip
    assert referrals == [(FRIEND["id"], EN_USER["id"])]

    salon = await make_salon(db, starts_in=timedelta(hours=-3))
    await _signup(db, salon, FRIEND["id"], attended=True, checked_in_at=utcnow())
    await points_job(job_context(app))
    await points_job(job_context(app))
    points = await _points(db)
    assert points[f"r:{FRIEND['id']}"] == (EN_USER["id"], "referral", 15)
    async with db.begin() as session:
        assert (await session.get(Referral, FRIEND["id"])).rewarded_at is not None
        await upsert_membership(COMMUNITY_ID, EN_USER["id"], session=session)

    # Organizers see referrals in /stats.
    await app.process_update(message("/stats", ORGANIZER, bot=app.bot))
    [stats] = fake_request.sent_texts(ORGANIZER["id"])
    assert "Friends brought with /invitefriend: 1; came to a salon: 1." in stats


async def test_invitefriend_in_chinese_and_points_in_the_privacy_export(app, db, fake_request):
    await make_users(db, [ZH_USER])
    await app.process_update(message("/invitefriend", ZH_USER, bot=app.bot))
    [text] = fake_request.sent_texts(ZH_USER["id"])
    assert text.startswith("把这个链接分享给可能喜欢我们沙龙的朋友：")
    assert f"start={referral_payload(ZH_USER['id'])}" in text and "你将获得 15 分" in text
    salon = await make_salon(db, starts_in=timedelta(days=-1))
    await _signup(db, salon, ZH_USER["id"], attended=True)
    await points_job(job_context(app))
    async with db.begin() as session:
        data = await export_user_data(ZH_USER["id"], session=session)
    assert [(p["kind"], p["points"]) for p in data["points"]] == [("attended", 10)]
    assert data["referrals"] == [] and data["leaderboard_optins"] == []


def test_points_are_never_model_inputs():
    """Attendance-derived points would reward the model for the incentive: neither the
    recommender nor the frames it is fed from may read them."""
    root = Path(__file__).resolve().parent.parent
    sources = [*root.glob("recommender/**/*.py"), *root.glob("storage/frames*.py")]
    assert len(sources) > 10
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for name in ("member_points", "PointEntry", "storage.points", "referrals"):
            assert name not in text, f"{path.name} reads {name}"
