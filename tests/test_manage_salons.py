"""/salons and the organizer's buttons: list, edit (time notifies), cancel, refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update

from bot.outbox.dispatcher import dispatch_once
from storage.models import Signup
from storage.models.outbox import CANCELLED, PENDING, SENT
from storage.models.salons import (
    DECLINED,
    GOING,
    LEFT,
    OFFERED,
    SALON_CANCELLED,
    SALON_DRAFT,
    WAITLIST,
)
from storage.outbox import enqueue
from tests.conftest import make_config, started_app
from tests.organizer import (
    ZH_ORGANIZER,
    alerts,
    buttons,
    last_call,
    local_in,
    outbox_rows,
    salons_in,
    stored_salon,
    stored_signup,
    text_of,
    utc_of,
)
from tests.updates import COMMUNITY_ID, EN_USER, ORGANIZER, ZH_USER, callback_query, message

ME = ORGANIZER["id"]
WAITING = {"id": 1004, "is_bot": False, "first_name": "Wei", "language_code": "zh-hans"}
OFFER = {"id": 1005, "is_bot": False, "first_name": "Bob", "language_code": "en"}
NOPE = {"id": 1006, "is_bot": False, "first_name": "Nope", "language_code": "en"}


async def say(app, text, user=ORGANIZER):
    await app.process_update(message(text, user, bot=app.bot))


async def press(app, data, user=ORGANIZER):
    await app.process_update(callback_query(data, user, bot=app.bot))


async def signed_up_salon(db, **kwargs):
    salon = await stored_salon(db, **kwargs)
    for user, status in [(ZH_USER, GOING), (EN_USER, GOING), (WAITING, WAITLIST),
                         (OFFER, OFFERED), (NOPE, DECLINED)]:  # fmt: skip
        await stored_signup(db, salon.id, user, status)
    return salon


async def test_salons_lists_upcoming_then_past_with_buttons(app, fake_request, db):
    past = await stored_salon(db, days=-3, title="Last week")
    soon = await stored_salon(db, days=2, title="Soon")
    later = await stored_salon(db, days=9, title="Later", status=SALON_DRAFT)
    await stored_salon(db, days=-40, title="Long ago")
    await say(app, "/salons")
    reply = last_call(fake_request, ME)
    assert reply.params["text"].startswith("Your salons (upcoming, then the last 30 days).")
    labels = list(buttons(reply))
    assert [buttons(reply)[label] for label in labels] == [
        f"S:m:{soon.id}",
        f"S:m:{later.id}",
        f"S:m:{past.id}",
    ]
    assert labels[1].startswith("📝 draft") and labels[2].startswith("🕘")
    await say(app, "/salons", ZH_ORGANIZER)
    assert last_call(fake_request, ME).params["text"].startswith("你的沙龙（先列即将举行的")


async def test_salons_when_there_are_none_and_for_members(app, fake_request, db):
    await say(app, "/salons", ZH_ORGANIZER)
    assert fake_request.sent_texts(ME) == ["你还没有沙龙。发送 /newsalon 创建一个吧。"]
    await say(app, "/salons", EN_USER)
    assert fake_request.sent_texts(EN_USER["id"]) == ["Only organizers of a community can do that."]


async def test_menu_shows_card_and_actions(app, fake_request, db):
    salon = await stored_salon(db)
    await press(app, f"S:m:{salon.id}", ZH_ORGANIZER)
    card = last_call(fake_request, ME)
    assert card.method == "editMessageText"
    assert salon.title in card.params["text"]
    assert f"签到码：{salon.checkin_code}" in card.params["text"]
    assert set(buttons(card).values()) >= {f"S:et:{salon.id}", f"S:x:{salon.id}", f"S:k:{salon.id}"}
    await press(app, "S:l", ZH_ORGANIZER)
    assert last_call(fake_request, ME).params["text"].startswith("你的沙龙")


async def test_edit_time_notifies_everyone_signed_up_in_their_language(app, fake_request, db):
    salon = await signed_up_salon(db, ends_after=timedelta(hours=3))
    await press(app, f"S:et:{salon.id}")
    assert "YYYY-MM-DD HH:MM (Asia/Shanghai time)" in fake_request.sent_texts(ME)[-1]
    await say(app, text_of(local_in(-2)))
    assert fake_request.sent_texts(ME)[-1].startswith("That time is in the past.")
    assert (await salons_in(db))[0].starts_at == salon.starts_at
    new_start = local_in(10, 20, 0)
    await say(app, text_of(new_start))
    [moved] = await salons_in(db)
    assert moved.starts_at == utc_of(new_start)
    assert moved.ends_at == utc_of(new_start) + timedelta(hours=3)
    assert fake_request.sent_texts(ME)[-1].startswith(
        "Saved. 4 signed-up members will be told about the new time."
    )
    rows = await outbox_rows(db)
    assert sorted(r.chat_id for r in rows) == sorted([ZH_USER["id"], EN_USER["id"], 1004, 1005])
    by_user = {r.chat_id: r for r in rows}
    assert by_user[ZH_USER["id"]].payload["caption"].startswith("⏰ 沙龙「读书会：三体」改期了")
    assert "日历" in by_user[ZH_USER["id"]].payload["caption"]
    assert by_user[EN_USER["id"]].payload["caption"].startswith("⏰ The salon “读书会：三体” has")
    assert "20:00" in by_user[EN_USER["id"]].payload["caption"]
    assert all(r.kind == "notice" and r.salon_id == salon.id and r.status == PENDING for r in rows)
    assert all(r.method == "sendDocument" for r in rows)
    ics = by_user[EN_USER["id"]].payload["document"]["content"]
    assert f"UID:salon-{salon.id}-" in ics and "SEQUENCE:1" in ics and "METHOD:PUBLISH" in ics
    assert f"DTSTART:{utc_of(new_start):%Y%m%dT%H%M%S}Z" in ics
    [edit] = fake_request.calls_to("editMessageText", chat_id=COMMUNITY_ID)
    assert edit.params["message_id"] == 555 and "20:00" in edit.params["text"]
    await say(app, "Another message")  # the edit dialogue is over
    assert len(await outbox_rows(db)) == 4


async def test_edit_time_moves_a_late_deadline_to_the_start(app, fake_request, db):
    salon = await stored_salon(db, days=5)
    async with db.begin() as session:
        (await session.get(type(salon), salon.id)).signup_deadline = salon.starts_at
    await press(app, f"S:et:{salon.id}")
    await say(app, text_of(local_in(2)))
    [moved] = await salons_in(db)
    assert moved.signup_deadline == moved.starts_at == utc_of(local_in(2))
    assert await outbox_rows(db) == []


async def test_edit_title_location_capacity_in_chinese(app, fake_request, db):
    salon = await stored_salon(db, capacity=10)
    for user in (ZH_USER, EN_USER):
        await stored_signup(db, salon.id, user, GOING)
    await press(app, f"S:en:{salon.id}", ZH_ORGANIZER)
    assert fake_request.sent_texts(ME)[-1].startswith("请发送新的标题")
    await say(app, "长" * 101, ZH_ORGANIZER)
    assert fake_request.sent_texts(ME)[-1] == "标题太长了（101 个字符），最多 100 个字符。"
    await say(app, "新标题", ZH_ORGANIZER)
    assert fake_request.sent_texts(ME)[-1].startswith("已保存。")
    await press(app, f"S:el:{salon.id}", ZH_ORGANIZER)
    await say(app, "北京市朝阳区 1 号", ZH_ORGANIZER)
    await press(app, f"S:ec:{salon.id}", ZH_ORGANIZER)
    await say(app, "0", ZH_ORGANIZER)
    assert fake_request.sent_texts(ME)[-1] == "名额至少为 1。"
    await say(app, "1", ZH_ORGANIZER)
    assert fake_request.sent_texts(ME)[-1] == "已有 2 位成员占了名额，名额不能比这更少。"
    await say(app, "30", ZH_ORGANIZER)
    [salon] = await salons_in(db)
    assert (salon.title, salon.location, salon.capacity) == ("新标题", "北京市朝阳区 1 号", 30)
    rows = await outbox_rows(db)  # only the new place notifies members, not title or capacity
    assert sorted(r.chat_id for r in rows) == sorted([ZH_USER["id"], EN_USER["id"]])
    assert all(r.dedupe_key.startswith(f"salon:{salon.id}:place:1:") for r in rows)
    assert len(fake_request.calls_to("editMessageText", chat_id=COMMUNITY_ID)) == 3


async def test_cancel_asks_then_notifies_and_withdraws_pending_messages(app, fake_request, db):
    salon = await signed_up_salon(db)
    async with db.begin() as session:
        await enqueue(f"reminder:{salon.id}:1001:24", session=session, kind="reminder",
                      chat_id=1001, payload={"text": "tomorrow!"}, salon_id=salon.id)  # fmt: skip
        await enqueue(f"invite:{salon.id}:1002", session=session, kind="invitation",
                      chat_id=1002, payload={"text": "come"}, salon_id=salon.id)  # fmt: skip
        await enqueue("other", session=session, kind="notice", chat_id=1, payload={"text": "x"})
    rows = await outbox_rows(db)
    async with db.begin() as session:
        (await session.get(type(rows[1]), rows[1].id)).status = SENT
    await press(app, f"S:x:{salon.id}")
    confirm = last_call(fake_request, ME)
    assert confirm.params["text"].startswith("Cancel “读书会：三体”?")
    assert (await salons_in(db))[0].status != SALON_CANCELLED
    await press(app, buttons(confirm)["❌ Yes, cancel it"])
    [cancelled] = await salons_in(db)
    assert cancelled.status == SALON_CANCELLED
    assert cancelled.signup_deadline <= datetime.now(UTC)
    rows = await outbox_rows(db)
    statuses = {r.dedupe_key: r.status for r in rows}
    assert statuses[f"reminder:{salon.id}:1001:24"] == CANCELLED
    assert statuses[f"invite:{salon.id}:1002"] == SENT and statuses["other"] == PENDING
    notices = [r for r in rows if r.dedupe_key.startswith(f"salon:{salon.id}:cancelled:")]
    assert sorted(r.chat_id for r in notices) == [1001, 1002, 1004, 1005]
    assert all(r.status == PENDING for r in notices)
    zh = next(r for r in notices if r.chat_id == 1001).payload["caption"]
    assert zh.startswith("❌ 沙龙「读书会：三体」") and "已取消" in zh
    for notice in notices:  # the calendar entry goes away
        ics = notice.payload["document"]["content"]
        assert "METHOD:CANCEL" in ics and "STATUS:CANCELLED" in ics and "SEQUENCE:1" in ics
    [edit] = fake_request.calls_to("editMessageText", chat_id=COMMUNITY_ID)
    assert edit.params["text"].startswith("❌ 已取消") and "reply_markup" not in edit.params
    assert (
        last_call(fake_request, ME)
        .params["text"]
        .startswith("Cancelled. 4 signed-up members will be notified.")
    )
    await press(app, f"S:X:{salon.id}")
    assert alerts(fake_request)[-1] == "This salon is already cancelled."
    assert len(await outbox_rows(db)) == len(rows)
    await press(app, f"S:et:{salon.id}")
    assert alerts(fake_request)[-1].startswith("This salon is cancelled or has started")


async def test_started_salons_and_drafts_cannot_be_cancelled(app, fake_request, db):
    started = await stored_salon(db, days=-0.01)
    draft = await stored_salon(db, status=SALON_DRAFT)
    await press(app, f"S:X:{started.id}")
    await press(app, f"S:x:{draft.id}")
    assert alerts(fake_request) == [
        "This salon has already started; it can no longer be changed.",
        "This salon is only a draft: discard it instead.",
    ]
    assert [s.status for s in await salons_in(db)] == ["published", SALON_DRAFT]


@pytest.mark.parametrize("action", ["m", "x", "X", "et", "a", "k"])
async def test_members_cannot_use_organizer_buttons(app, fake_request, db, action):
    salon = await signed_up_salon(db)
    data = f"S:{action}:{salon.id}" + (":0" if action == "k" else "")
    await press(app, data, EN_USER)
    assert alerts(fake_request) == ["Only organizers of a community can do that."]
    [after] = await salons_in(db)
    assert after.status == salon.status and after.starts_at == salon.starts_at
    assert await outbox_rows(db) == []
    assert fake_request.calls_to("editMessageText") == []


async def test_unknown_salon_id_gets_a_clear_answer(app, fake_request, db):
    await press(app, "S:m:424242", ZH_ORGANIZER)
    assert alerts(fake_request) == ["这个沙龙不存在，或者你不是它所在社群的组织者。"]


async def test_edit_answer_after_the_salon_was_cancelled_changes_nothing(app, fake_request, db):
    salon = await stored_salon(db)
    await press(app, f"S:en:{salon.id}")
    await press(app, f"S:X:{salon.id}")  # cancelled from its card while the edit waits
    await say(app, "A new title")
    assert fake_request.sent_texts(ME)[-1] == (
        "This salon is cancelled or has started; it cannot be edited."
    )
    [after] = await salons_in(db)
    assert after.title == salon.title and after.status == SALON_CANCELLED


async def test_moving_a_salon_cancels_reminders_queued_for_the_old_time(app, db):
    salon = await signed_up_salon(db)
    async with db.begin() as session:
        await enqueue(f"reminder:{salon.id}:1001:24:0", session=session, kind="reminder",
                      chat_id=1001, user_id=1001, salon_id=salon.id, payload={})  # fmt: skip
    await press(app, f"S:et:{salon.id}")
    await say(app, text_of(local_in(10, 20, 0)))
    statuses = {r.dedupe_key: r.status for r in await outbox_rows(db)}
    assert statuses[f"reminder:{salon.id}:1001:24:0"] == CANCELLED


async def test_new_place_reaches_members_with_a_map_link_and_updated_calendar(
    app, fake_request, db
):
    salon = await signed_up_salon(db)
    await press(app, f"S:el:{salon.id}")
    await say(app, "Café Lumen, 12 Rue de Rivoli")
    assert fake_request.sent_texts(ME)[-1].startswith(
        "Saved. 4 signed-up members will be told about the new place, with an updated calendar"
    )
    [after] = await salons_in(db)
    assert after.sequence == 1
    rows = {r.chat_id: r for r in await outbox_rows(db)}
    assert sorted(rows) == sorted([ZH_USER["id"], EN_USER["id"], 1004, 1005])
    en = rows[EN_USER["id"]].payload["caption"]
    assert en.startswith("📍 The salon “读书会：三体”") and "Café Lumen, 12 Rue de Rivoli" in en
    assert "🗺 https://www.openstreetmap.org/search?query=Caf%C3%A9+Lumen" in en
    zh = rows[ZH_USER["id"]].payload["caption"]
    assert zh.startswith("📍 沙龙「读书会：三体」") and "https://uri.amap.com/search?keyword=" in zh
    # The same place again: nobody is told twice, the calendar version stays.
    await press(app, f"S:el:{salon.id}")
    await say(app, "Café Lumen, 12 Rue de Rivoli")
    assert len(await outbox_rows(db)) == 4
    assert (await salons_in(db))[0].sequence == 1


async def test_change_notices_are_sent_with_the_latest_calendar_version(db_url, fake_request, db):
    config = make_config(db_url, messaging={"per_chat_interval_seconds": 0.0})
    async with started_app(config, fake_request) as app:
        await _edit_twice_and_send(app, fake_request, db)


async def _edit_twice_and_send(app, fake_request, db):
    salon = await signed_up_salon(db)
    await press(app, f"S:el:{salon.id}")
    await say(app, "北京市朝阳区建国路 1 号")
    await press(app, f"S:et:{salon.id}")
    await say(app, text_of(local_in(10, 20, 0)))
    async with db.begin() as session:  # Bob left meanwhile: his notices are withdrawn
        await session.execute(update(Signup).where(Signup.user_id == 1005).values(status=LEFT))
    while await dispatch_once(app.bot, db, app.bot_data.dispatcher):
        pass
    documents = fake_request.calls_to("sendDocument", chat_id=ZH_USER["id"])
    assert len(documents) == 2  # the new place, then the new time
    for call in documents:  # both carry the salon as it is now: the latest version
        ics = call.params["document"]["data"].decode()
        assert "SEQUENCE:2" in ics and "建国路" in ics
        assert f"DTSTART:{utc_of(local_in(10, 20, 0)):%Y%m%dT%H%M%S}Z" in ics
    assert fake_request.calls_to("sendDocument", chat_id=1005) == []
    statuses = [r.status for r in await outbox_rows(db) if r.chat_id == 1005]
    assert statuses == [CANCELLED, CANCELLED]
