"""Member commands through the fake Bot API: /events, /join, /leave, /mysalons, buttons, links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.common.formatting import local_time
from storage.models import Salon, Signup
from storage.models.salons import SALON_CANCELLED
from storage.types import utcnow
from tests.salon_helpers import make_salon
from tests.updates import EN_USER, GROUP, ORGANIZER, ZH_USER, callback, message


async def _signups(db, salon_id):
    async with db.begin() as session:
        rows = await session.scalars(select(Signup).where(Signup.salon_id == salon_id))
        salon = await session.get(Salon, salon_id)
        return {s.user_id: s.status for s in rows}, salon.going_count


async def test_events_lists_salons_with_join_buttons_in_both_languages(app, fake_request, db):
    salon = await make_salon(db, capacity=12)
    await make_salon(db, title="Past", starts_in=timedelta(hours=-1))
    await app.process_update(message("/events", ZH_USER, bot=app.bot))
    await app.process_update(message("/events", EN_USER, bot=app.bot))
    [zh] = fake_request.calls_to("sendMessage", chat_id=ZH_USER["id"])
    [en] = fake_request.calls_to("sendMessage", chat_id=EN_USER["id"])
    assert zh.params["text"].startswith("即将举行的沙龙：")
    assert local_time(salon.starts_at, "Asia/Shanghai", "zh") in zh.params["text"]
    assert "剩余名额：12" in zh.params["text"] and "Past" not in zh.params["text"]
    assert en.params["text"].startswith("Upcoming salons:")
    assert f"/join {salon.short_code}" in en.params["text"]
    assert "Seats left: 12" in en.params["text"]
    [[button]] = en.params["reply_markup"]["inline_keyboard"]
    assert button["callback_data"] == f"J:{salon.id}" and button["text"].startswith("Join: ")


async def test_events_without_salons_says_so(app, fake_request):
    await app.process_update(message("/events", EN_USER, bot=app.bot))
    assert fake_request.sent_texts(EN_USER["id"])[0].startswith("There are no upcoming salons")


async def test_group_commands_answer_with_a_link_to_the_bot_in_the_same_topic(app, fake_request):
    topic = {"message_thread_id": 77, "is_topic_message": True}
    forum = {**GROUP, "is_forum": True}
    await app.process_update(message("/events", EN_USER, chat=forum, bot=app.bot, **topic))
    app.bot_data.dispatcher.last_sent.clear()  # the group's pace (test_group_pace.py) allows
    await app.process_update(message("/join K7PQ2M", ZH_USER, chat=GROUP, bot=app.bot))
    first, second = fake_request.calls_to("sendMessage", chat_id=GROUP["id"])
    assert first.params["message_thread_id"] == 77
    assert first.params["text"].startswith("Let's continue in a private chat")
    url = first.params["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert url == "https://t.me/salon_test_bot?start=events"
    assert "message_thread_id" not in second.params
    assert second.params["text"].startswith("我们私聊继续")
    join_url = second.params["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert join_url == "https://t.me/salon_test_bot?start=j_K7PQ2M"


async def test_every_private_command_sent_in_the_group_gets_a_way_to_the_bot(app, fake_request, db):
    commands = ["/me", "/invitefriend", "/here 1234", "/plan", "/salons", "/invite",
                "/materials", "/series", "/newsalon Talk | 2030-01-01 10:00 | 5"]  # fmt: skip
    for command in commands:
        app.bot_data.dispatcher.last_sent.clear()  # the group's pace allows
        await app.process_update(message(command, ORGANIZER, chat=GROUP, bot=app.bot))
    replies = fake_request.calls_to("sendMessage", chat_id=GROUP["id"])
    assert len(replies) == len(commands)
    assert all(r.params["text"].startswith("Let's continue in a private chat") for r in replies)
    urls = [r.params["reply_markup"]["inline_keyboard"][0][0]["url"] for r in replies]
    assert urls[:2] == ["https://t.me/salon_test_bot?start=events"] * 2  # /me, /invitefriend
    assert set(urls[2:]) == {"https://t.me/salon_test_bot"}  # an organizer's: just the chat
    assert not fake_request.calls_to("sendMessage", chat_id=ORGANIZER["id"])
    async with db.begin() as session:
        assert not (await session.scalars(select(Salon.id))).all()  # nothing done in the group


async def test_join_confirms_with_details_and_calendar_file(app, fake_request, db):
    salon = await make_salon(db, capacity=5)
    await app.process_update(message(f"/join {salon.short_code.lower()}", EN_USER, bot=app.bot))
    [confirmation] = fake_request.calls_to("sendMessage", chat_id=EN_USER["id"])
    text = confirmation.params["text"]
    assert text.startswith("You are in! See you there.")
    assert "Reading night" in text and "Café Lumen, 2F" in text
    assert "🪑 One seat is yours; seats left for others: 4" in text
    assert local_time(salon.starts_at, "Asia/Shanghai", "en") in text
    leave = confirmation.params["reply_markup"]["inline_keyboard"][0][0]
    assert leave["callback_data"] == f"L:{salon.id}"
    [document] = fake_request.calls_to("sendDocument", chat_id=EN_USER["id"])
    ics = document.params["document"]
    assert ics["filename"] == f"salon-{salon.short_code}.ics"
    body = ics["data"].decode()
    assert "BEGIN:VEVENT" in body and "SUMMARY:Reading night" in body
    assert salon.starts_at.strftime("DTSTART:%Y%m%dT%H%M%SZ") in body
    assert await _signups(db, salon.id) == ({EN_USER["id"]: "going"}, 1)


async def test_join_in_chinese_and_twice_changes_nothing(app, fake_request, db):
    salon = await make_salon(db)
    await app.process_update(message(f"/join {salon.short_code}", ZH_USER, bot=app.bot))
    await app.process_update(message(f"/join {salon.short_code.lower()}", ZH_USER, bot=app.bot))
    first, second = fake_request.sent_texts(ZH_USER["id"])
    assert (
        first.startswith("报名成功！到时见。")
        and "🪑 你已有一个座位；其他人的剩余名额：19" in first
    )
    assert second.startswith("你已经报名了这场沙龙。")
    assert len(fake_request.calls_to("sendDocument")) == 2
    assert await _signups(db, salon.id) == ({ZH_USER["id"]: "going"}, 1)


async def test_join_bad_references_change_nothing(app, fake_request, db):
    salon = await make_salon(db)
    for text in ("/join", "/join NOPE99", "/join 999999", "/join a b"):
        await app.process_update(message(text, EN_USER, bot=app.bot))
    texts = fake_request.sent_texts(EN_USER["id"])
    assert texts[0].startswith("Send /join followed by") and texts[3].startswith("Send /join")
    assert texts[1] == texts[2] and texts[1].startswith("I could not find that salon.")
    assert await _signups(db, salon.id) == ({}, 0)


async def test_closed_salons_refuse_signups(app, fake_request, db):
    cancelled = await make_salon(db, title="Gone", status=SALON_CANCELLED)
    started = await make_salon(db, title="Running", starts_in=timedelta(minutes=-5))
    late = await make_salon(db, title="Late", signup_deadline=utcnow() - timedelta(hours=1))
    draft = await make_salon(db, title="Draft", status="draft")
    for salon in (cancelled, started, late, draft):
        await app.process_update(message(f"/join {salon.short_code}", EN_USER, bot=app.bot))
    assert fake_request.sent_texts(EN_USER["id"]) == [
        "«Gone» was cancelled.",
        "«Running» has already started.",
        "Signups for «Late» have closed.",
        "I could not find that salon. Check the code, or send /events to see what is on.",
    ]
    for salon in (cancelled, started, late, draft):
        assert await _signups(db, salon.id) == ({}, 0)


async def test_join_button_and_forged_callback_data(app, fake_request, db):
    salon = await make_salon(db)
    for data in ("J:abc", "J:", "J:99999999", "J:-1", "L:zz", "C:1" + "9" * 30):
        await app.process_update(callback(data, EN_USER, bot=app.bot))
    answers = fake_request.calls_to("answerCallbackQuery")
    assert len(answers) == 6 and all(a.params.get("show_alert") for a in answers)
    assert await _signups(db, salon.id) == ({}, 0)
    await app.process_update(callback(f"J:{salon.id}", ZH_USER, bot=app.bot))
    assert fake_request.sent_texts(ZH_USER["id"])[0].startswith("报名成功！")
    assert fake_request.calls_to("answerCallbackQuery")[-1].params["text"].startswith("报名成功")
    assert await _signups(db, salon.id) == ({ZH_USER["id"]: "going"}, 1)


async def test_join_button_in_the_group_opens_the_private_chat(app, fake_request, db):
    salon = await make_salon(db)
    await app.process_update(callback(f"J:{salon.id}", EN_USER, chat=GROUP, bot=app.bot))
    [answer] = fake_request.calls_to("answerCallbackQuery")
    assert answer.params["url"] == f"https://t.me/salon_test_bot?start=j_{salon.short_code}"
    assert fake_request.sent_texts() == [] and await _signups(db, salon.id) == ({}, 0)


async def test_deep_link_joins_the_salon(app, fake_request, db):
    salon = await make_salon(db)
    await app.process_update(message(f"/start j_{salon.short_code}", EN_USER, bot=app.bot))
    assert fake_request.sent_texts(EN_USER["id"])[0].startswith("You are in!")
    assert fake_request.calls_to("sendDocument", chat_id=EN_USER["id"])
    assert await _signups(db, salon.id) == ({EN_USER["id"]: "going"}, 1)
    await app.process_update(message("/start events", EN_USER, bot=app.bot))
    assert fake_request.sent_texts(EN_USER["id"])[-1].startswith("Upcoming salons:")


async def test_leave_by_command_and_button(app, fake_request, db):
    salon = await make_salon(db)
    await app.process_update(message(f"/join {salon.short_code}", EN_USER, bot=app.bot))
    await app.process_update(message(f"/leave {salon.short_code}", EN_USER, bot=app.bot))
    await app.process_update(message(f"/leave {salon.short_code}", EN_USER, bot=app.bot))
    await app.process_update(message("/leave", EN_USER, bot=app.bot))
    texts = fake_request.sent_texts(EN_USER["id"])[1:]
    assert texts[0] == "Done: you are no longer signed up for «Reading night 读书夜»."
    assert texts[1] == "You are not signed up for «Reading night 读书夜»."
    assert texts[2].startswith("Send /leave followed by")
    assert await _signups(db, salon.id) == ({EN_USER["id"]: "left"}, 0)
    await app.process_update(callback(f"J:{salon.id}", ZH_USER, bot=app.bot))
    await app.process_update(callback(f"L:{salon.id}", ZH_USER, bot=app.bot))
    left = fake_request.sent_texts(ZH_USER["id"])[-1]
    assert left == "好的：你已取消报名「Reading night 读书夜」。"
    assert await _signups(db, salon.id) == ({EN_USER["id"]: "left", ZH_USER["id"]: "left"}, 0)
    # Coming back is allowed: a fresh signup.
    await app.process_update(message(f"/join {salon.short_code}", EN_USER, bot=app.bot))
    assert await _signups(db, salon.id) == ({EN_USER["id"]: "going", ZH_USER["id"]: "left"}, 1)


async def test_mysalons_lists_going_and_waitlist_with_position(app, fake_request, db):
    open_salon = await make_salon(db, title="Open", starts_in=timedelta(days=2))
    full = await make_salon(db, title="Full", capacity=1, starts_in=timedelta(days=4))
    await app.process_update(message("/mysalons", EN_USER, bot=app.bot))
    await app.process_update(message(f"/join {full.short_code}", ZH_USER, bot=app.bot))
    for salon in (open_salon, full):
        await app.process_update(message(f"/join {salon.short_code}", EN_USER, bot=app.bot))
    await app.process_update(message("/mysalons", EN_USER, bot=app.bot))
    await app.process_update(message("/mysalons", ZH_USER, bot=app.bot))
    en = fake_request.calls_to("sendMessage", chat_id=EN_USER["id"])
    assert en[0].params["text"].startswith("You have not signed up for any upcoming salon.")
    assert en[2].params["text"].startswith("«Full» is full, so you are on the waitlist: number 1")
    listing = en[-1].params["text"]
    assert listing.startswith("Your salons:")
    assert listing.index("Open") < listing.index("✅ You are going.") < listing.index("Full")
    assert "⏳ Waitlist: number 1 in line." in listing
    buttons = [row[0]["callback_data"] for row in en[-1].params["reply_markup"]["inline_keyboard"]]
    assert buttons == [f"L:{open_salon.id}", f"L:{full.id}"]
    assert "✅ 你已报名。" in fake_request.sent_texts(ZH_USER["id"])[-1]


@pytest.mark.parametrize(
    ("user", "yours"),
    [
        (EN_USER, "🪑 One seat is yours; seats left for others: 0"),
        (ZH_USER, "🪑 你已有一个座位；其他人的剩余名额：0"),
    ],
)
async def test_taking_the_last_seat_is_not_shown_as_full(app, fake_request, db, user, yours):
    salon = await make_salon(db, capacity=1)
    await app.process_update(message(f"/join {salon.short_code}", user, bot=app.bot))
    await app.process_update(message("/mysalons", user, bot=app.bot))
    confirmation, listing = fake_request.sent_texts(user["id"])
    for text in (confirmation, listing):
        assert yours in text
        assert "Full" not in text and "已满" not in text
    other = EN_USER if user is ZH_USER else ZH_USER
    await app.process_update(message("/events", other, bot=app.bot))
    shown = fake_request.sent_texts(other["id"])[-1]
    assert "Full: you can join the waitlist" in shown or "已满" in shown
