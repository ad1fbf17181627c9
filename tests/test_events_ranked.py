"""/events for a member: best fit first with the reason, signed-up salons marked, and the
button to the plain date order (`EV:`), in both languages."""

from __future__ import annotations

from datetime import timedelta

from storage.models import Signup
from storage.models.salons import GOING
from tests.salon_helpers import make_salon, make_users, member
from tests.updates import EN_USER, ZH_USER, callback_query, message

NEWBIE = member(2001)
OTHERS = [member(2002), member(2003)]


async def _signup(db, salon, user_id, status=GOING, attended=None):
    async with db.begin() as session:
        session.add(Signup(salon_id=salon.id, user_id=user_id, status=status, attended=attended))


async def _world(db):
    """Past: an AI salon (EN_USER and two others came first to it), a poetry one (ZH_USER).
    Upcoming: poetry in 2 days, AI in 4 (ZH_USER signed up for it), cooking in 6."""
    await make_users(db, [EN_USER, ZH_USER, NEWBIE, *OTHERS])
    ai = await make_salon(db, title="AI past", tags=("ai",), starts_in=timedelta(days=-9))
    poetry = await make_salon(db, title="Poetry past", tags=("poetry",),
                              starts_in=timedelta(days=-5))  # fmt: skip
    for user in (EN_USER, *OTHERS):
        await _signup(db, ai, user["id"], attended=True)
    await _signup(db, poetry, ZH_USER["id"], attended=True)
    soon = await make_salon(db, title="Poetry soon", tags=("poetry",), starts_in=timedelta(days=2))
    later = await make_salon(db, title="AI later", tags=("ai", "ml"), starts_in=timedelta(days=4))
    cooking = await make_salon(db, title="Cooking", starts_in=timedelta(days=6))
    await _signup(db, later, ZH_USER["id"])
    return soon, later, cooking


def _order(text: str, *titles: str) -> list[str]:
    return sorted(titles, key=text.index)


async def test_events_lists_the_best_fit_first_with_reasons_in_both_languages(
    app, fake_request, db
):
    soon, later, cooking = await _world(db)
    await app.process_update(message("/events", EN_USER, bot=app.bot))
    await app.process_update(message("/events", ZH_USER, bot=app.bot))
    [en] = fake_request.calls_to("sendMessage", chat_id=EN_USER["id"])
    [zh] = fake_request.calls_to("sendMessage", chat_id=ZH_USER["id"])
    text = en.params["text"]
    assert text.startswith("Upcoming salons, the best fit for you first:")
    assert _order(text, "Poetry soon", "AI later", "Cooking")[0] == "AI later"
    assert "💡 You joined salons about ai before." in text
    # Cooking's line: no tags and no signups -> only what is honest.
    assert "💡 Nothing in your signups points to this one; listed by date." in text
    keyboard = en.params["reply_markup"]["inline_keyboard"]
    assert keyboard[0][0]["callback_data"] == f"J:{later.id}"
    assert keyboard[-1][0] == {"text": "📅 By date", "callback_data": "EV:d"}

    ztext = zh.params["text"]
    assert ztext.startswith("近期沙龙，最适合你的排在前面：")
    assert _order(ztext, "Poetry soon", "AI later")[0] == "Poetry soon"
    assert "💡 你之前参加过关于 poetry 的沙龙。" in ztext
    assert "✅ 你已报名：/mysalons" in ztext and f"/join {later.short_code}" not in ztext
    zkeys = [row[0]["callback_data"] for row in zh.params["reply_markup"]["inline_keyboard"]]
    assert f"J:{later.id}" not in zkeys and zkeys[-1] == "EV:d"


async def test_the_date_button_switches_order_and_back(app, fake_request, db):
    soon, later, cooking = await _world(db)
    await app.process_update(callback_query("EV:d", EN_USER, bot=app.bot))
    [edit] = fake_request.calls_to("editMessageText")
    text = edit.params["text"]
    assert text.startswith("Upcoming salons:") and "💡" not in text
    assert _order(text, "Cooking", "AI later", "Poetry soon") == [
        "Poetry soon",
        "AI later",
        "Cooking",
    ]
    back = edit.params["reply_markup"]["inline_keyboard"][-1][0]
    assert back == {"text": "✨ Best fit first", "callback_data": "EV:r"}
    await app.process_update(callback_query("EV:r", ZH_USER, bot=app.bot))
    zh = fake_request.calls_to("editMessageText")[-1]
    assert zh.params["text"].startswith("近期沙龙，最适合你的排在前面：")
    assert zh.params["reply_markup"]["inline_keyboard"][-1][0]["text"] == "📅 按日期"


async def test_a_new_member_gets_what_newcomers_joined_first(app, fake_request, db):
    await _world(db)
    await app.process_update(message("/events", NEWBIE, bot=app.bot))
    [sent] = fake_request.calls_to("sendMessage", chat_id=NEWBIE["id"])
    text = sent.params["text"]
    assert _order(text, "Poetry soon", "AI later", "Cooking")[0] == "AI later"
    assert "💡 New members often start with salons like this one." in text


async def test_a_forged_events_button_changes_nothing(app, fake_request, db):
    await _world(db)
    await app.process_update(callback_query("EV:zz", EN_USER, bot=app.bot))
    [answer] = fake_request.calls_to("answerCallbackQuery")
    assert answer.params["text"] == "This button is no longer valid."
    assert answer.params["show_alert"] is True
    assert fake_request.calls_to("editMessageText") == []
