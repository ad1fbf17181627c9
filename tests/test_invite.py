"""/invite: preview, narrowing, confirm; personal messages; waves; quiet hours; refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from bot.app import build_app
from bot.campaigns.service import run_due_waves
from bot.common.config import MessagingConfig
from bot.outbox.dispatcher import Dispatcher, dispatch_once
from recommender.selection import assign_holdout
from storage.models import Campaign, Salon, Signup
from storage.models.salons import GOING
from storage.outbox import mark_sent
from storage.types import utcnow
from tests.campaign_helpers import Member, invitations_of, seed_members
from tests.conftest import make_config
from tests.organizer import alerts, buttons, last_call, outbox_rows
from tests.salon_helpers import make_salon
from tests.updates import ORGANIZER, ZH_USER, callback_query, message

ME = ORGANIZER["id"]
NO_QUIET = {"quiet_hours_start": "00:00", "quiet_hours_end": "00:00"}


@pytest.fixture
def config(db_url):
    return make_config(db_url, messaging=NO_QUIET)


async def say(app, text, user=ORGANIZER):
    await app.process_update(message(text, user, bot=app.bot))


async def press(app, data, user=ORGANIZER):
    await app.process_update(callback_query(data, user, bot=app.bot))


async def _campaign(db, salon_id):
    async with db.begin() as session:
        query = select(Campaign).where(Campaign.salon_id == salon_id)
        return (await session.scalars(query)).first()


async def test_preview_sends_nothing_then_confirm_invites_and_withholds_the_holdout(
    app, fake_request, db
):
    salon = await make_salon(db, capacity=10, tags=("AI", "books"))
    past = await make_salon(db, title="AI 夜谈", tags=("ai",), starts_in=timedelta(days=-20))
    members = [
        Member(u, 0.3, "core" if u % 2 else "lurkers", "zh" if u % 3 else "en")
        for u in range(2001, 2041)
    ]
    await seed_members(db, salon, members)
    came = set(range(2001, 2011))
    async with db.begin() as session:
        for user_id in came:
            session.add(Signup(salon_id=past.id, user_id=user_id, status=GOING, attended=True))
    await say(app, f"/invite {salon.short_code}")
    preview = last_call(fake_request, ME)
    text = preview.params["text"]
    assert "Eligible members: 40 (core 20 · lurkers 20)" in text
    assert "First wave: 36 invited" in text and "Held out as a control group: 4" in text
    assert "Expected signups: 10.8" in text and "for 10 free seats" in text
    assert await outbox_rows(db) == [] and await _campaign(db, salon.id) is None
    await press(app, buttons(preview)["✅ Send invitations"])
    assert (
        "Invitations started for «Reading night 读书夜»: 36 queued, 4 held out"
        in (last_call(fake_request, ME).params["text"])
    )
    campaign = await _campaign(db, salon.id)
    assert campaign.seed is not None and campaign.holdout_share == 0.1 and campaign.waves == 1
    rows = await invitations_of(db, salon.id)
    withheld = {r.user_id for r in rows if r.holdout}
    assert len(withheld) == 4 and all(r.status == "withheld" for r in rows if r.holdout)
    queued = {r.chat_id: r for r in await outbox_rows(db)}
    assert set(queued) == {m.user_id for m in members} - withheld
    assert all(
        r.kind == "invitation" and r.dedupe_key == f"invite:{salon.id}:{r.chat_id}"
        for r in queued.values()
    )
    # Personal, in each member's language, with an honest reason.
    en_id = min(u for u in came if u % 3 == 0 and u in queued)
    zh_id = min(u for u in came if u % 3 and u in queued)
    en, zh = queued[en_id].payload["text"], queued[zh_id].payload["text"]
    assert en.startswith(f"Hi M{en_id}! You are invited to «Reading night 读书夜».")
    assert "Café Lumen, 2F" in en and "Seats left: 10" in en
    assert en.endswith("You have come to salons about AI before.")
    assert zh.startswith(f"M{zh_id}，你好！诚邀你参加「Reading night 读书夜」。")
    assert zh.endswith("你之前参加过关于人工智能的沙龙。")
    other = min(u for u in queued if u not in came and u % 3)
    assert (
        queued[other]
        .payload["text"]
        .endswith("这是发给读书会部分成员的邀请，觉得合适就来，不来也完全没关系。")
    )
    assert buttons(type("C", (), {"params": queued[en_id].payload})) == {
        "✅ Join": f"I:j:{salon.id}",
        "Not this time": f"I:n:{salon.id}",
        "Stop invitations": f"I:x:{salon.id}",
    }
    # The dispatcher delivers them; invitations follow; the holdout never gets a message.
    dispatcher = Dispatcher(MessagingConfig(global_rate_per_second=30))
    for _ in range(4):
        await dispatch_once(app.bot, db, dispatcher)
    sent_to = {c.params["chat_id"] for c in fake_request.calls_to("sendMessage")} - {ME}
    assert sent_to == set(queued) and not sent_to & withheld
    assert {r.status for r in await invitations_of(db, salon.id) if not r.holdout} == {"sent"}
    # Reproducible: the same seed withholds the same members.
    ranked = sorted(m.user_id for m in members)
    assert {
        u for u, h in zip(ranked, assign_holdout(ranked, 0.1, campaign.seed), strict=True) if h
    } == withheld


async def test_narrowing_by_arguments_and_buttons(app, fake_request, db):
    salon = await make_salon(db, capacity=50)
    await seed_members(
        db,
        salon,
        [
            Member(u, 0.05 * (u - 3000), "core" if u < 3010 else "lurkers")
            for u in range(3001, 3021)
        ],
    )
    await say(app, f"/invite {salon.short_code} min=0.2 max=5 segments=core")
    preview = last_call(fake_request, ME)
    assert "Eligible members: 20" in preview.params["text"]
    assert "First wave: 5 invited (core 5)" in preview.params["text"]
    assert (
        "probability at least 20%; at most 5 invitations; segments: core."
        in (preview.params["text"])
    )
    keyboard = buttons(preview)
    assert keyboard["Minimum probability: 20% ▸ 30%"] == f"I:pv:{salon.id}:30:5:1"
    await press(app, keyboard["☐ lurkers"])  # both segments now
    assert "segments: all." in last_call(fake_request, ME).params["text"]
    await say(app, f"/invite {salon.short_code} min=2")
    assert last_call(fake_request, ME).params["text"].startswith("min= is a probability")
    await say(app, f"/invite {salon.short_code} colour=red")
    assert last_call(fake_request, ME).params["text"].startswith("Send /invite followed by")
    await say(app, f"/invite {salon.short_code} segments=vips")
    assert last_call(fake_request, ME).params["text"].startswith("Unknown segment: vips.")
    assert await outbox_rows(db) == []


async def test_members_and_forged_organizer_buttons_are_refused(app, fake_request, db):
    salon = await make_salon(db)
    await seed_members(db, salon, [Member(4001)])
    await say(app, f"/invite {salon.short_code}", ZH_USER)
    assert fake_request.sent_texts(ZH_USER["id"]) == ["只有社群的组织者才能这样做。"]
    await press(app, f"I:go:{salon.id}:0:0:0", ZH_USER)
    await press(app, "I:go:1:2", ORGANIZER)
    await press(app, f"I:go:{salon.id + 99}:0:0:0", ORGANIZER)
    assert alerts(fake_request) == [
        "只有社群的组织者才能这样做。",
        "This button is no longer valid.",
        "That salon does not exist, or you do not organize its community.",
    ]
    assert await _campaign(db, salon.id) is None and await outbox_rows(db) == []


async def test_waves_follow_while_signups_stay_below_target_until_the_window_ends(
    app, fake_request, db, config
):
    salon = await make_salon(db, capacity=3)
    await seed_members(db, salon, [Member(u, 0.5) for u in range(5001, 5031)])
    await say(app, f"/invite {salon.short_code}")
    await press(app, buttons(last_call(fake_request, ME))["✅ Send invitations"])
    first = await invitations_of(db, salon.id)
    assert len(first) == 8 and sum(r.holdout for r in first) == 1  # 3 * 1.15 / 0.9 / 0.5
    assert await run_due_waves(db, config) == 0  # not due yet
    async with db.begin() as session:
        await session.execute(update(Campaign).values(last_wave_at=utcnow() - timedelta(hours=25)))
    assert await run_due_waves(db, config) == 0  # due, but 7 invitations still undelivered
    async with db.begin() as session:
        for row in first:
            if row.outbox_id:
                await mark_sent(row.outbox_id, session=session)
    assert await run_due_waves(db, config) == 7  # delivered, nobody joined: the next wave
    second = [r for r in await invitations_of(db, salon.id) if r.wave == 2]
    assert len(second) == 8 and sum(r.holdout for r in second) == 1
    assert not {r.user_id for r in second} & {r.user_id for r in first}
    assert (await _campaign(db, salon.id)).waves == 2
    async with db.begin() as session:
        await session.execute(update(Salon).values(going_count=3))  # full: no wave needed
        await session.execute(update(Campaign).values(last_wave_at=utcnow() - timedelta(hours=25)))
    await _deliver_all(db, salon.id)
    assert await run_due_waves(db, config) == 0
    async with db.begin() as session:
        await session.execute(update(Campaign).values(window_ends_at=utcnow()))
    assert await run_due_waves(db, config) == 0
    campaign = await _campaign(db, salon.id)
    assert (campaign.status, campaign.finish_reason) == ("finished", "window")
    assert campaign.uplift["holdout"] == 2 and campaign.uplift["invited"] == 14


async def _deliver_all(db, salon_id):
    async with db.begin() as session:
        for row in await invitations_of(db, salon_id):
            if row.outbox_id and row.status == "pending":
                await mark_sent(row.outbox_id, session=session)


async def test_invitations_are_not_sent_in_quiet_hours(db_url, fake_request, db):
    shanghai = ZoneInfo("Asia/Shanghai")
    local = datetime.now(shanghai)
    start = (local - timedelta(hours=1)).strftime("%H:%M")
    end_local = (local + timedelta(hours=2)).replace(second=0, microsecond=0)
    config = make_config(
        db_url,
        messaging={"quiet_hours_start": start, "quiet_hours_end": end_local.strftime("%H:%M")},
    )
    app = build_app(config, request=fake_request)
    await app.initialize()
    await app.post_init(app)
    try:
        salon = await make_salon(db, capacity=5)
        await seed_members(db, salon, [Member(6001, 0.9)])
        await say(app, f"/invite {salon.short_code}")
        await press(app, buttons(last_call(fake_request, ME))["✅ Send invitations"])
        [row] = await outbox_rows(db)
        assert row.not_before == end_local.astimezone(UTC)
        assert await dispatch_once(app.bot, db, Dispatcher(config.messaging)) == 0
    finally:
        await app.post_shutdown(app)
        await app.shutdown()


ZH_ORGANIZER = {**ORGANIZER, "language_code": "zh-hans"}


@pytest.mark.parametrize(
    "typed",
    [
        "segments=活跃,潜水",
        "segments=active,lurkers",
        "segments=活跃发言者，lurkers",
        "segments=active talkers, lurkers",
    ],
)
async def test_a_chinese_organizer_reads_and_types_segments_in_chinese(
    app, fake_request, db, typed
):
    salon = await make_salon(db, capacity=50)
    segments = ["active talkers", "lurkers", "newcomers"]
    await seed_members(db, salon, [Member(u, 0.4, segments[u % 3]) for u in range(3101, 3131)])
    await say(app, f"/invite {salon.short_code} {typed}", ZH_ORGANIZER)
    preview = last_call(fake_request, ME)
    text = preview.params["text"]
    assert "符合条件的成员：30 人（活跃发言者 10 · 潜水成员 10 · 新成员 10）" in text
    assert "分群：活跃发言者、潜水成员。" in text
    assert "（未设置免打扰时段）" in text and "00:00 至 00:00" not in text  # quiet hours off
    for english in ("active talkers", "lurkers", "newcomers"):
        assert english not in text
    keyboard = buttons(preview)
    assert {"☑ 活跃发言者", "☑ 潜水成员", "☐ 新成员"} <= set(keyboard)
    await press(app, keyboard["☐ 新成员"], ZH_ORGANIZER)
    assert "分群：全部" in last_call(fake_request, ME).params["text"]
    await say(app, f"/invite {salon.short_code} segments=大佬", ZH_ORGANIZER)
    refused = last_call(fake_request, ME).params["text"]
    assert refused.startswith("未知的分群：大佬。") and "活跃发言者、潜水成员、新成员" in refused


async def test_an_english_organizer_types_one_word_aliases(app, fake_request, db):
    salon = await make_salon(db, capacity=50)
    segments = ["active talkers", "lurkers", "newcomers"]
    await seed_members(db, salon, [Member(u, 0.4, segments[u % 3]) for u in range(3201, 3231)])
    await say(app, f"/invite {salon.short_code} segments=active,新人", ORGANIZER)
    text = last_call(fake_request, ME).params["text"]
    assert "First wave: 0 invited" not in text and "lurkers" not in text.split("First wave")[1]
    assert "segments: active talkers, newcomers." in text
    assert "(no quiet hours are set)" in text and "between 00:00 and 00:00" not in text
