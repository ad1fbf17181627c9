"""/newsalon: the guided conversation, the one-liner, preview, publish and discard."""

from __future__ import annotations

from datetime import timedelta

import pytest

from storage.models.salons import SALON_DRAFT, SALON_PUBLISHED
from storage.salons import list_upcoming_salons
from tests.conftest import make_config
from tests.organizer import (
    ZH_ORGANIZER,
    alerts,
    buttons,
    last_call,
    local_in,
    salons_in,
    stored_salon,
    text_of,
    utc_of,
)
from tests.updates import COMMUNITY_ID, EN_USER, ORGANIZER, callback_query, message


@pytest.fixture
def config(db_url):
    """Tests answer a dialogue faster than anyone types: every private text counts."""
    return make_config(db_url, limits={"commands_per_user": 1000})


ME = ORGANIZER["id"]


async def say(app, text, user=ORGANIZER):
    await app.process_update(message(text, user, bot=app.bot))


async def press(app, data, user=ORGANIZER):
    await app.process_update(callback_query(data, user, bot=app.bot))


async def test_one_liner_makes_a_draft_then_publish_announces_it(app, fake_request, db):
    start = local_in(5)
    await say(app, f"/newsalon Reading: Three Body | {text_of(start)} | 12 | Bookstore 2F | "
                   "books; sci-fi")  # fmt: skip
    [salon] = await salons_in(db)
    assert (salon.title, salon.capacity) == ("Reading: Three Body", 12)
    assert salon.location == "Bookstore 2F"
    assert salon.starts_at == utc_of(start) and salon.tags == "books;sci-fi"
    assert salon.status == SALON_DRAFT and salon.created_by == ME
    async with db.begin() as session:
        assert await list_upcoming_salons([COMMUNITY_ID], session=session) == []
    preview = last_call(fake_request, ME)
    assert preview.params["text"].startswith("Preview of the announcement for 读书会:")
    assert f"/join {salon.short_code}" in preview.params["text"]
    assert fake_request.sent_texts(COMMUNITY_ID) == []

    await press(app, buttons(preview)["✅ Publish"])
    [post] = fake_request.calls_to("sendMessage", chat_id=COMMUNITY_ID)
    link = f"https://t.me/salon_test_bot?start=j_{salon.short_code}"
    assert list(buttons(post).values()) == [link]
    assert "Reading: Three Body" in post.params["text"]
    assert f"/join {salon.short_code}" in post.params["text"]
    assert post.params["text"].startswith("📣 新沙龙！")  # the group's language
    [salon] = await salons_in(db)
    assert salon.status == SALON_PUBLISHED and salon.announcement_message_id >= 1000
    assert last_call(fake_request, ME).params["text"].startswith("Published in 读书会.")
    async with db.begin() as session:
        assert [s.id for s in await list_upcoming_salons([COMMUNITY_ID], session=session)] == [
            salon.id
        ]
    await press(app, buttons(preview)["✅ Publish"])  # a second tap posts nothing more
    assert len(fake_request.calls_to("sendMessage", chat_id=COMMUNITY_ID)) == 1
    assert alerts(fake_request)[-1].startswith("This salon is not a draft")


async def test_guided_conversation_in_chinese_with_skips(app, fake_request, db):
    start = local_in(7, 14, 0)
    me = ZH_ORGANIZER
    await say(app, "/newsalon", me)
    assert last_call(fake_request, ME).params["text"].startswith("沙龙的标题是什么？")
    await say(app, "周末哲学沙龙", me)
    skip = buttons(last_call(fake_request, ME))
    await press(app, next(iter(skip.values())), me)  # no description
    await say(app, "哲学；读书", me)
    assert "Asia/Shanghai" in last_call(fake_request, ME).params["text"]
    await say(app, text_of(start), me)
    await say(app, "1.5小时", me)
    await press(app, "S:skip:5", me)  # no location
    await say(app, "15", me)
    await press(app, "S:skip:7", me)  # no deadline
    assert "50 ⭐ (Telegram Stars)" in last_call(fake_request, ME).params["text"]
    await say(app, "30", me)  # 30 Telegram Stars
    [salon] = await salons_in(db)
    assert (salon.price_amount, salon.currency) == (30, "XTR")
    assert salon.title == "周末哲学沙龙" and salon.tags == "哲学;reading"
    assert salon.description == "" and salon.location == "" and salon.signup_deadline is None
    assert salon.starts_at == utc_of(start)
    assert salon.ends_at == utc_of(start) + timedelta(minutes=90)
    assert salon.capacity == 15 and salon.status == SALON_DRAFT
    preview = last_call(fake_request, ME)
    assert preview.params["text"].startswith("读书会 的公告预览：")
    assert set(buttons(preview)) == {"✅ 发布", "🗑 放弃"}


async def test_conversation_rejects_bad_answers_and_cancel_saves_nothing(app, fake_request, db):
    await say(app, "/newsalon")
    await say(app, "x" * 101)
    assert "too long (101 characters)" in fake_request.sent_texts(ME)[-1]
    await say(app, "Good title")
    await press(app, "S:skip:1")
    await press(app, "S:skip:1")  # a stale second tap of the same Skip
    assert alerts(fake_request)[-1] == "This button is no longer valid."
    await press(app, "S:skip:2")
    await say(app, "tomorrow evening")
    assert "YYYY-MM-DD HH:MM" in fake_request.sent_texts(ME)[-1]
    await say(app, text_of(local_in(-1)))
    assert fake_request.sent_texts(ME)[-1] == (
        "That time is in the past. Please send a time in the future."
    )
    start = local_in(3)
    await say(app, text_of(start))
    await say(app, "forever")
    assert "duration" in fake_request.sent_texts(ME)[-1]
    await say(app, "2h")
    await say(app, "Library")
    await say(app, "0")
    assert fake_request.sent_texts(ME)[-1] == "The capacity must be at least 1."
    await say(app, "twenty")
    assert "whole number" in fake_request.sent_texts(ME)[-1]
    await say(app, "20")
    await say(app, text_of(start + timedelta(hours=1)))
    assert fake_request.sent_texts(ME)[-1] == (
        "The signup deadline must not be after the start of the salon."
    )
    await say(app, "/cancel")
    assert fake_request.sent_texts(ME)[-1] == "Cancelled. Nothing was saved."
    assert await salons_in(db) == []
    await say(app, "Another title")  # the conversation is over: nothing happens
    assert await salons_in(db) == []


async def test_deadline_is_stored(app, fake_request, db):
    start = local_in(4)
    await say(app, "/newsalon")
    for answer in ["T", None, None, text_of(start), None, None, None]:
        if answer is None:
            await press(app, next(iter(buttons(last_call(fake_request, ME)).values())))
        else:
            await say(app, answer)
    await say(app, text_of(start - timedelta(days=1)))
    await press(app, next(iter(buttons(last_call(fake_request, ME)).values())))  # free
    [salon] = await salons_in(db)
    assert salon.signup_deadline == utc_of(start - timedelta(days=1))
    assert (salon.price_amount, salon.currency) == (0, "")
    assert salon.capacity is None and salon.ends_at is None


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ("/newsalon Only a title | 2030-01-01 19:00", "3 to 6 parts"),
        ("/newsalon A | B | C | D | E | F | G", "3 to 6 parts"),
        ("/newsalon Talk | 2030-13-01 19:00 | 10", "YYYY-MM-DD HH:MM"),
        ("/newsalon Talk | 2020-01-01 19:00 | 10", "in the past"),
        ("/newsalon Talk | 2030-01-01 19:00 | 0", "at least 1"),
        ("/newsalon Talk | 2030-01-01 19:00 | -3", "at least 1"),
        ("/newsalon Talk | 2030-01-01 19:00 | ten", "whole number"),
        ("/newsalon  | 2030-01-01 19:00 | 10", "cannot be empty"),
        (f"/newsalon {'长' * 101} | 2030-01-01 19:00 | 10", "too long"),
    ],
)
async def test_bad_one_liners_change_nothing(app, fake_request, db, line, error):
    await say(app, line)
    [reply] = fake_request.sent_texts(ME)
    assert error in reply
    assert "/newsalon <title> | <YYYY-MM-DD HH:MM> | <capacity>" in reply or "past" in reply
    assert await salons_in(db) == []


async def test_bad_one_liner_in_chinese(app, fake_request, db):
    await say(app, "/newsalon 只有标题", ZH_ORGANIZER)
    [reply] = fake_request.sent_texts(ME)
    assert reply.startswith("我看不懂这条命令：需要用 | 分隔的 3 到 6 个部分。")
    assert await salons_in(db) == []


async def test_non_organizer_cannot_create_or_publish(app, fake_request, db):
    await say(app, "/newsalon Talk | 2030-01-01 19:00 | 10", EN_USER)
    assert fake_request.sent_texts(EN_USER["id"]) == ["Only organizers of a community can do that."]
    draft = await stored_salon(db, status=SALON_DRAFT, announcement_message_id=None)
    await press(app, f"S:pub:{draft.id}", EN_USER)
    await press(app, f"S:drop:{draft.id}", EN_USER)
    assert alerts(fake_request) == ["Only organizers of a community can do that."] * 2
    [salon] = await salons_in(db)
    assert salon.status == SALON_DRAFT
    assert fake_request.calls_to("sendMessage", chat_id=COMMUNITY_ID) == []


async def test_discard_deletes_the_draft_and_its_buttons_go_stale(app, fake_request, db):
    await say(app, f"/newsalon Talk | {text_of(local_in(2))} | 10")
    preview = buttons(last_call(fake_request, ME))
    await press(app, preview["🗑 Discard"])
    assert last_call(fake_request, ME).params["text"] == "Discarded. Nothing was published."
    assert await salons_in(db) == []
    await press(app, preview["✅ Publish"])
    assert alerts(fake_request)[-1].startswith("That salon does not exist")
    assert fake_request.calls_to("sendMessage", chat_id=COMMUNITY_ID) == []


async def test_published_salon_cannot_be_discarded(app, fake_request, db):
    salon = await stored_salon(db)
    await press(app, f"S:drop:{salon.id}")
    assert alerts(fake_request)[-1].startswith("Only drafts can be discarded.")
    assert len(await salons_in(db)) == 1


async def test_failed_announcement_keeps_the_draft(app, fake_request, db):
    await say(app, f"/newsalon Talk | {text_of(local_in(2))} | 10")
    publish = buttons(last_call(fake_request, ME))["✅ Publish"]
    fake_request.api.fail("sendMessage", 403, "Forbidden: bot was kicked from the group", times=1)
    await press(app, publish)
    assert "Forbidden: bot was kicked" in alerts(fake_request)[-1]
    [salon] = await salons_in(db)
    assert salon.status == SALON_DRAFT and salon.announcement_message_id is None
    await press(app, publish)  # works once the group is reachable again
    [salon] = await salons_in(db)
    assert salon.status == SALON_PUBLISHED


async def test_draft_whose_time_passed_cannot_be_published(app, fake_request, db):
    salon = await stored_salon(db, days=-0.1, status=SALON_DRAFT, announcement_message_id=None)
    await press(app, f"S:pub:{salon.id}")
    assert alerts(fake_request)[-1].startswith("Its start time has passed.")
    assert (await salons_in(db))[0].status == SALON_DRAFT


@pytest.mark.parametrize(
    "data",
    ["S:pub:abc", "S:pub:987654321", "S:pub", "S:pub:1:2", "S:zz:1", "S:skip:3", "S:n:-100",
     "S:" + "9" * 62, "S:pub:99999999999999999999", "S:et:x"],
)  # fmt: skip
async def test_forged_or_stale_buttons_change_nothing(app, fake_request, db, data):
    salon = await stored_salon(db, status=SALON_DRAFT, announcement_message_id=None)
    await press(app, data)
    [text] = alerts(fake_request)
    assert text in ("This button is no longer valid.",
                    "That salon does not exist, or you do not organize its community.")  # fmt: skip
    assert (await salons_in(db))[0].status == SALON_DRAFT and salon.id != 987654321
    assert fake_request.calls_to("sendMessage") == []


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_one_liner_as_a_chinese_input_method_types_it_echoes_the_understood_date(
    app, fake_request, db, language
):
    me = ZH_ORGANIZER if language == "zh" else ORGANIZER
    tomorrow = local_in(1, 19, 30)
    await say(app, "/newsalon 周末读书会｜明天 19：30｜12｜书店二楼｜读书，哲学", me)
    [salon] = await salons_in(db)
    assert salon.starts_at == utc_of(tomorrow) and salon.capacity == 12
    assert salon.tags == "reading;哲学"
    preview = last_call(fake_request, ME).params["text"]
    # The announcement is previewed in the group's language (Chinese), the rest in the reader's.
    echoed = f"🕒 {tomorrow.year}年{tomorrow.month}月{tomorrow.day}日"
    assert echoed in preview and "19:30" in preview and "#读书 #哲学" in preview
    assert preview.endswith("现在发布吗？" if language == "zh" else "Publish it now?")


async def test_one_liner_with_an_unreadable_date_says_which_forms_work(app, fake_request, db):
    await say(app, "/newsalon 读书会｜下下周 19:30｜12", ZH_ORGANIZER)
    assert await salons_in(db) == []
    refusal = last_call(fake_request, ME).params["text"]
    assert "12月5日 19:30" in refusal and "周六 14:00" in refusal
