"""/start, /help, unknown groups, command menus and the error handler, via the fake request."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.app import publish_commands
from storage.models import DM_REACHABLE, User
from tests.organizer import expire_admin_lists
from tests.updates import EN_USER, GROUP, ORGANIZER, ZH_USER, message, my_chat_member


async def test_start_registers_user_and_greets_in_chinese(app, fake_request, db):
    await app.process_update(message("/start", ZH_USER, bot=app.bot))
    [text] = fake_request.sent_texts(ZH_USER["id"])
    assert text.startswith("你好，小明！")
    async with db.begin() as session:
        user = await session.get(User, ZH_USER["id"])
    assert user.dm_status == DM_REACHABLE and user.language_code == "zh-hans"


async def test_start_greets_in_english(app, fake_request):
    await app.process_update(message("/start", EN_USER, bot=app.bot))
    assert fake_request.sent_texts(EN_USER["id"])[0].startswith("Hello, Alice!")


async def test_unknown_language_falls_back_to_community_default(app, fake_request):
    user = {**EN_USER, "id": 1003, "language_code": "de"}
    await app.process_update(message("/start", user, bot=app.bot))
    assert fake_request.sent_texts(1003)[0].startswith("你好")


async def test_start_with_unknown_or_malformed_payload_explains(app, fake_request):
    await app.process_update(message("/start zz_999", EN_USER, bot=app.bot))
    await app.process_update(message("/start ../../etc", EN_USER, bot=app.bot))
    texts = fake_request.sent_texts(EN_USER["id"])
    assert texts.count("That link is not valid or has expired. Here is what I can do:") == 2
    assert sum(t.startswith("What I can do:") for t in texts) == 2


async def test_start_dispatches_registered_deep_link(app, fake_request):
    seen = []

    async def handler(update, context, rest):
        seen.append((update.effective_user.id, rest))

    app.bot_data.deep_links["j"] = handler
    await app.process_update(message("/start j_ABC123", EN_USER, bot=app.bot))
    assert seen == [(EN_USER["id"], "ABC123")]
    assert fake_request.sent_texts(EN_USER["id"]) == []


async def test_help_for_member_and_for_organizer(app, fake_request):
    app.bot_data.deep_links.clear()
    await app.process_update(message("/help", EN_USER, bot=app.bot))
    await app.process_update(message("/help", ORGANIZER, bot=app.bot))
    [member_text] = fake_request.sent_texts(EN_USER["id"])
    [organizer_text] = fake_request.sent_texts(ORGANIZER["id"])
    assert "/start" in member_text and "/help" in member_text
    assert "For organizers:" not in member_text
    assert "For organizers:" in organizer_text


async def test_group_admin_counts_as_organizer_and_failure_falls_back(app, fake_request):
    fake_request.api.admins[GROUP["id"]] = [EN_USER["id"]]
    await app.process_update(message("/help", EN_USER, bot=app.bot))
    assert "For organizers:" in fake_request.sent_texts(EN_USER["id"])[-1]
    await expire_admin_lists(app.bot_data.db)
    fake_request.api.fail("getChatAdministrators", 400, "Bad Request: chat not found")
    await app.process_update(message("/help", EN_USER, bot=app.bot))
    await app.process_update(message("/help", ORGANIZER, bot=app.bot))
    assert "For organizers:" not in fake_request.sent_texts(EN_USER["id"])[-1]
    assert "For organizers:" in fake_request.sent_texts(ORGANIZER["id"])[-1]


async def test_leaves_unconfigured_group_when_added(app, fake_request):
    other = {"id": -100999, "type": "supergroup", "title": "Spam"}
    bot_user = {"id": app.bot.id, "is_bot": True, "first_name": "Salon"}
    await app.process_update(my_chat_member(other, "member", EN_USER, bot_user, bot=app.bot))
    assert fake_request.calls_to("leaveChat", chat_id=-100999)
    assert "only serves" in fake_request.sent_texts(-100999)[0]


async def test_stays_in_configured_group(app, fake_request):
    bot_user = {"id": app.bot.id, "is_bot": True, "first_name": "Salon"}
    await app.process_update(my_chat_member(GROUP, "member", ORGANIZER, bot_user, bot=app.bot))
    await app.process_update(message("hello", EN_USER, chat=GROUP, bot=app.bot))
    assert fake_request.calls_to("leaveChat") == []


async def test_message_in_unconfigured_group_makes_it_leave(app, fake_request):
    other = {"id": -100555, "type": "group", "title": "Other"}
    await app.process_update(message("/help", EN_USER, chat=other, bot=app.bot))
    assert fake_request.calls_to("leaveChat", chat_id=-100555)
    assert fake_request.sent_texts(-100555) == [
        "This bot only serves the communities its operator configured. Goodbye!"
    ]


async def test_set_my_commands_failure_is_tolerated(app, fake_request):
    fake_request.api.fail("setMyCommands", 400, "Bad Request: nope")
    await publish_commands(app)  # must not raise
    assert len(fake_request.calls_to("setMyCommands")) >= 2
    await app.process_update(message("/start", EN_USER, bot=app.bot))
    assert fake_request.sent_texts(EN_USER["id"])


async def test_commands_published_per_language_and_for_organizers(app, fake_request):
    calls = fake_request.calls_to("setMyCommands")
    by_language = {c.params.get("language_code"): c for c in calls if "language_code" in c.params}
    assert by_language["zh"].params["commands"][0]["description"] == "启动机器人，允许它给你发消息"
    organizer_scopes = [c for c in calls if c.params.get("scope", {}).get("type") == "chat"]
    assert organizer_scopes[0].params["scope"]["chat_id"] == ORGANIZER["id"]


async def test_error_handler_answers_politely_and_keeps_running(app, fake_request, db, monkeypatch):
    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("bot.members.start.upsert_user", broken)
    await app.process_update(message("/start", ZH_USER, bot=app.bot))
    assert fake_request.sent_texts(ZH_USER["id"]) == ["抱歉，我这边出错了，请再试一次。"]
    async with db.begin() as session:
        assert (await session.scalars(select(User))).all() == []


async def test_adding_the_bot_logs_the_groups_chat_id(app, fake_request, caplog):
    caplog.set_level(logging.INFO, logger="bot.members.chats")
    other = {"id": -100999, "type": "supergroup", "title": "新群"}
    bot_user = {"id": app.bot.id, "is_bot": True, "first_name": "Salon"}
    await app.process_update(my_chat_member(other, "member", EN_USER, bot_user, bot=app.bot))
    await app.process_update(my_chat_member(GROUP, "member", ORGANIZER, bot_user, bot=app.bot))
    assert f"(chat id -100999) by user {EN_USER['id']}; not in the config" in caplog.text
    assert "[[communities]] chat_id = -100999" in caplog.text
    assert f"(chat id {GROUP['id']}) by user {ORGANIZER['id']}\n" in caplog.text + "\n"


@pytest.mark.parametrize(
    ("user", "you", "group"),
    [
        (ZH_USER, "你的 Telegram 用户 ID：", "本群的 chat ID："),
        (EN_USER, "Your Telegram user id: ", "This group's chat id: "),
    ],
)
async def test_whoami_tells_the_user_id_and_in_a_group_the_chat_id(
    app, fake_request, user, you, group
):
    await app.process_update(message("/whoami", user, bot=app.bot))
    assert fake_request.sent_texts(user["id"]) == [f"{you}{user['id']}"]
    await app.process_update(message("/whoami", user, chat=GROUP, bot=app.bot))
    assert fake_request.sent_texts(GROUP["id"])[-1] == f"{you}{user['id']}\n{group}{GROUP['id']}"
