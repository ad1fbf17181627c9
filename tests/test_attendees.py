"""A salon's attendees: the CSV list and "Message attendees" (preview, counts, the outbox)."""

from __future__ import annotations

import csv
import io

import pytest

from bot.salons.roster import safe_cell
from storage.models import Payment, Signup
from storage.models.salons import GOING, LEFT, OFFERED, WAITLIST
from storage.types import utcnow
from tests.organizer import (
    ZH_ORGANIZER,
    alerts,
    buttons,
    last_call,
    outbox_rows,
    stored_salon,
    stored_signup,
)
from tests.updates import EN_USER, ORGANIZER, ZH_USER, callback_query, reply

ME = ORGANIZER["id"]
EVIL = {"id": 1007, "is_bot": False, "first_name": "=HYPERLINK(\"x\")", "language_code": "en",
        "username": "evil"}  # fmt: skip
WAITING = {"id": 1004, "is_bot": False, "first_name": "Wei", "language_code": "zh-hans"}
OFFER = {"id": 1005, "is_bot": False, "first_name": "Bob", "language_code": "en"}


async def press(app, data, user=ORGANIZER):
    await app.process_update(callback_query(data, user, bot=app.bot))


async def _salon(db):
    salon = await stored_salon(db)
    for user, status in [(ZH_USER, GOING), (EN_USER, GOING), (EVIL, LEFT), (WAITING, WAITLIST),
                         (OFFER, OFFERED)]:  # fmt: skip
        await stored_signup(db, salon.id, user, status)
    async with db.begin() as session:
        signup = await session.get(Signup, 1)
        signup.checked_in_at, signup.attended, signup.rating = utcnow(), True, 5
        signup.comment = "-1 太好了"
        session.add(Payment(community_id=salon.community_id, salon_id=salon.id,
                            user_id=ZH_USER["id"], currency="XTR", amount=50,
                            telegram_payment_charge_id="c1", provider_payment_charge_id="",
                            status="paid", paid_at=utcnow(), refund_attempts=0))  # fmt: skip
    return salon


def _table(call) -> list[list[str]]:
    data = call.params["document"]["data"].decode("utf-8-sig")
    return list(csv.reader(io.StringIO(data)))


@pytest.mark.parametrize("who", [ORGANIZER, ZH_ORGANIZER])
async def test_the_attendee_list_as_csv_in_the_organizers_language(app, fake_request, db, who):
    salon = await _salon(db)
    await press(app, f"S:m:{salon.id}", who)
    assert (
        buttons(last_call(fake_request, ME))[
            "📄 " + ("Attendee list (CSV)" if who is ORGANIZER else "报名名单（CSV）")
        ]
        == f"O:csv:{salon.id}"
    )
    await press(app, f"O:csv:{salon.id}", who)
    [document] = fake_request.calls_to("sendDocument", chat_id=ME)
    assert document.params["document"]["filename"] == f"attendees-{salon.short_code}.csv"
    table = _table(document)
    if who is ORGANIZER:
        assert table[0] == ["name", "username", "status", "paid", "checked in", "rating",
                            "comment"]  # fmt: skip
        assert table[1] == ["小明", "", "going", "50 ⭐", "yes", "5", "'-1 太好了"]
        assert [r[2] for r in table[1:]] == ["going", "going", "offered a seat", "waitlist",
                                             "left"]  # fmt: skip
    else:
        assert table[0] == ["姓名", "用户名", "状态", "已付款", "已签到", "评分", "评论"]
        assert table[1][2] == "已报名" and table[1][4] == "是"
    evil = next(r for r in table if r[1] == "evil")
    assert evil[0] == '\'=HYPERLINK("x")'  # a spreadsheet shows it, never runs it


def test_formula_cells_are_neutralised():
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(value) == "'" + value
    assert safe_cell("小明") == "小明" and safe_cell(5) == 5 and safe_cell("a=b") == "a=b"


async def test_message_attendees_previews_counts_then_queues(app, fake_request, db):
    salon = await _salon(db)
    await press(app, f"O:msg:{salon.id}")
    prompt = last_call(fake_request, ME)
    assert prompt.params["text"].startswith("Reply to this message with the text")
    assert prompt.params["reply_markup"]["force_reply"] is True
    text = "Slides: https://example.com/s — see you Friday!"
    await app.process_update(reply(text, ORGANIZER, prompt.result["message_id"], bot=app.bot))
    preview = last_call(fake_request, ME)
    assert preview.params["text"].startswith(
        "Preview: 2 members going (2 more offered a seat or waiting) will read:"
    )
    assert text in preview.params["text"] and await outbox_rows(db) == []
    assert buttons(preview) == {
        "✅ Send to 2 going": f"O:go:{salon.id}:0",
        "✅ Send to 4 (with the waitlist)": f"O:go:{salon.id}:1",
        "❌ Cancel": f"O:no:{salon.id}",
    }
    await press(app, f"O:go:{salon.id}:1", EN_USER)  # a member cannot send it
    assert alerts(fake_request)[-1] == "Only organizers of a community can do that."
    await press(app, f"O:go:{salon.id}:1")
    assert last_call(fake_request, ME).params["text"] == (
        "Queued for 4 members; they get it within minutes."
    )
    rows = {r.chat_id: r for r in await outbox_rows(db)}
    assert sorted(rows) == [ZH_USER["id"], EN_USER["id"], 1004, 1005]
    assert rows[ZH_USER["id"]].payload["text"] == f"📣 来自「读书会：三体」组织者的消息：\n\n{text}"
    assert rows[EN_USER["id"]].payload["text"].startswith("📣 A message from the organizers of «")
    assert all(r.kind == "broadcast" and r.status == "pending" for r in rows.values())
    await press(app, f"O:go:{salon.id}:1")  # pressed again: the draft is gone, nothing more
    assert alerts(fake_request)[-1] == "This button is no longer valid."
    assert len(await outbox_rows(db)) == 4


async def test_message_only_going_members_in_chinese_or_cancel(app, fake_request, db):
    salon = await _salon(db)
    await press(app, f"O:msg:{salon.id}", ZH_ORGANIZER)
    prompt = last_call(fake_request, ME)
    assert prompt.params["text"].startswith("回复这条消息")
    await app.process_update(
        reply("周五见", ZH_ORGANIZER, prompt.result["message_id"], bot=app.bot)
    )
    await press(app, f"O:no:{salon.id}", ZH_ORGANIZER)
    assert await outbox_rows(db) == []
    await press(app, f"O:msg:{salon.id}", ZH_ORGANIZER)
    prompt = last_call(fake_request, ME)
    await app.process_update(
        reply("周五见", ZH_ORGANIZER, prompt.result["message_id"], bot=app.bot)
    )
    assert last_call(fake_request, ME).params["text"].startswith("预览：")
    await press(app, f"O:go:{salon.id}:0", ZH_ORGANIZER)
    assert sorted(r.chat_id for r in await outbox_rows(db)) == [ZH_USER["id"], EN_USER["id"]]
