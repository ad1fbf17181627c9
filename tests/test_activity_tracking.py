"""Group activity through the real handlers: raw rows, users, memberships and daily rollups."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from telegram import Update

from bot.app import build_app
from storage.models import (
    ActivityDay,
    GroupMessage,
    MemberChange,
    Membership,
    Reaction,
    ReactionCount,
    User,
)
from tests.conftest import make_config
from tests.updates import (
    COMMUNITY_ID,
    EN_USER,
    GROUP,
    ZH_USER,
    chat_member,
    emoji,
    group_message,
    message_json,
    reaction,
    reaction_count,
    service_message,
)

T0 = int(datetime(2026, 3, 2, 9, 15, tzinfo=UTC).timestamp())
DAY = date(2026, 3, 2)
BOB = {"id": 1003, "is_bot": False, "first_name": "Bob", "username": "bob", "language_code": "en"}
BOT_USER = {"id": 777000111, "is_bot": True, "first_name": "Salon", "username": "salon_test_bot"}


async def flush(app) -> None:
    await app.bot_data.activity.flush()


async def all_rows(db, model, *order):
    async with db.begin() as session:
        return (await session.scalars(select(model).order_by(*order))).all()


async def rollup(db, user_id: int, day: date = DAY) -> dict[str, int] | None:
    async with db.begin() as session:
        row = await session.get(ActivityDay, (COMMUNITY_ID, user_id, day))
    if row is None:
        return None
    return {c.name: getattr(row, c.name) for c in ActivityDay.__table__.columns}


def nonzero(row: dict) -> dict:
    return {k: v for k, v in row.items() if v and k not in ("community_id", "user_id", "day")}


async def test_text_message_makes_user_membership_message_and_rollup(app, db):
    await app.process_update(group_message("你好，大家好", ZH_USER, app.bot, date=T0))
    await flush(app)
    [message] = await all_rows(db, GroupMessage)
    assert (message.community_id, message.user_id, message.kind, message.length) == (
        COMMUNITY_ID, ZH_USER["id"], "text", 6,
    )  # fmt: skip
    assert message.text is None, "text is stored only with [privacy] store_text"
    assert message.sent_at == datetime.fromtimestamp(T0, UTC)
    assert not message.forwarded and message.thread_id is None
    async with db.begin() as session:
        user = await session.get(User, ZH_USER["id"])
        membership = await session.get(Membership, (COMMUNITY_ID, ZH_USER["id"]))
    assert (user.first_name, user.language_code) == ("小明", "zh-hans")
    assert membership.is_member and membership.last_seen_at == message.sent_at
    assert nonzero(await rollup(db, ZH_USER["id"])) == {"messages": 1, "chars": 6, "h09": 1}


async def test_reply_photo_forward_topic_and_command(app, db):
    first = message_json("Who reads Borges?", EN_USER, GROUP, date=T0)
    await app.process_update(group_message("Who reads Borges?", EN_USER, app.bot, date=T0))
    reply = group_message("me!", ZH_USER, app.bot, date=T0 + 3600, reply_to_message=first)
    photo = group_message(
        "",
        BOB,
        app.bot,
        date=T0 + 7200,
        caption="my shelf",
        photo=[{"file_id": "p", "file_unique_id": "p", "width": 9, "height": 9}],
    )
    forward = group_message(
        "news",
        BOB,
        app.bot,
        date=T0 + 7260,
        forward_origin={"type": "hidden_user", "sender_user_name": "Someone", "date": T0 - 99},
    )
    topic_root = {
        **message_json("", BOB, GROUP, date=T0 - 50),
        "message_id": 500,
        "forum_topic_created": {"name": "Books", "icon_color": 7322096},
    }
    topic = group_message(
        "in the topic",
        ZH_USER,
        app.bot,
        date=T0 + 7300,
        message_thread_id=500,
        is_topic_message=True,
        reply_to_message=topic_root,
    )
    command = group_message("/help", ZH_USER, app.bot, date=T0 + 7400)
    for update in (reply, photo, forward, topic, command):
        await app.process_update(update)
    await flush(app)
    rows = {m.message_id: m for m in await all_rows(db, GroupMessage)}
    assert rows[reply.message.message_id].reply_to_user_id == EN_USER["id"]
    assert (rows[photo.message.message_id].kind, rows[photo.message.message_id].length) == (
        "photo",
        8,
    )
    assert rows[forward.message.message_id].forwarded
    topic_row = rows[topic.message.message_id]
    assert (topic_row.thread_id, topic_row.reply_to_user_id) == (500, None)
    assert rows[command.message.message_id].kind == "command"
    assert nonzero(await rollup(db, ZH_USER["id"])) == {
        "messages": 3, "chars": 3 + 12 + 5, "replies_sent": 1, "h10": 1, "h11": 2,
    }  # fmt: skip
    assert nonzero(await rollup(db, EN_USER["id"])) == {
        "messages": 1, "chars": 17, "replies_received": 1, "h09": 1,
    }  # fmt: skip
    assert nonzero(await rollup(db, BOB["id"]))["messages"] == 2


async def test_bots_unconfigured_chats_and_opted_out_members_are_not_logged(app, db, fake_request):
    async with db.begin() as session:
        session.add(User(id=BOB["id"], first_name="Bob", tracking_opt_out=True))
    other = {"id": -100999, "type": "supergroup", "title": "Elsewhere"}
    await app.process_update(group_message("I am the bot", BOT_USER, app.bot, date=T0))
    await app.process_update(group_message("opted out", BOB, app.bot, date=T0))
    reply_to_bob = message_json("opted out", BOB, GROUP, date=T0)
    await app.process_update(
        group_message("hi bob", ZH_USER, app.bot, date=T0 + 1, reply_to_message=reply_to_bob)
    )
    await app.process_update(
        reaction(BOB, reply_to_bob["message_id"], [], [emoji("👍")], app.bot, date=T0 + 2)
    )
    await app.process_update(
        Update.de_json(
            {"update_id": 99, "message": message_json("elsewhere", EN_USER, other, date=T0)},
            app.bot,
        )
    )
    await app.process_update(reaction(EN_USER, 5, [], [emoji("👍")], app.bot, chat=other))
    await flush(app)
    [message] = await all_rows(db, GroupMessage)
    assert (message.user_id, message.reply_to_user_id) == (ZH_USER["id"], None)
    assert await all_rows(db, Reaction) == []
    assert await rollup(db, BOB["id"]) is None
    assert nonzero(await rollup(db, ZH_USER["id"])) == {"messages": 1, "chars": 6, "h09": 1}
    async with db.begin() as session:
        assert await session.get(User, BOT_USER["id"]) is None
        assert await session.get(Membership, (COMMUNITY_ID, BOB["id"])) is None
        assert await session.get(User, EN_USER["id"]) is None
    assert fake_request.calls_to("leaveChat", chat_id=-100999)


async def test_edit_updates_the_message_without_counting_it_twice(db_url, fake_request, db):
    config = make_config(db_url, privacy={"store_text": True, "retention_days": 3650})
    app = build_app(config, request=fake_request)
    await app.initialize()
    await app.post_init(app)
    try:
        original = group_message("teh book", EN_USER, app.bot, date=T0)
        await app.process_update(original)
        edited = group_message("the book!", EN_USER, app.bot, edited=True, date=T0,
                               message_id=original.message.message_id)  # fmt: skip
        await app.process_update(edited)
        await flush(app)
    finally:
        await app.post_shutdown(app)
        await app.shutdown()
    [message] = await all_rows(db, GroupMessage)
    assert (message.text, message.length) == ("the book!", 9)
    assert message.edited_at == datetime.fromtimestamp(T0 + 60, UTC)
    assert nonzero(await rollup(db, EN_USER["id"])) == {"messages": 1, "chars": 8, "h09": 1}


async def test_reactions_added_and_removed_and_anonymous_totals(app, db):
    post = group_message("a long post", EN_USER, app.bot, date=T0)
    await app.process_update(post)
    await flush(app)  # the author is looked up from the stored message
    mid = post.message.message_id
    await app.process_update(reaction(ZH_USER, mid, [], [emoji("👍")], app.bot, date=T0 + 60))
    await app.process_update(
        reaction(ZH_USER, mid, [emoji("👍")], [emoji("🔥")], app.bot, date=T0 + 120)
    )
    await app.process_update(reaction(EN_USER, mid, [], [emoji("❤")], app.bot, date=T0 + 130))
    await app.process_update(reaction_count(mid, {"👍": 5, "🔥": 2}, app.bot))
    await flush(app)
    events = await all_rows(db, Reaction, Reaction.id)
    assert [(e.user_id, e.target_user_id, e.emoji, e.added) for e in events] == [
        (ZH_USER["id"], EN_USER["id"], "👍", True),
        (ZH_USER["id"], EN_USER["id"], "🔥", True),
        (ZH_USER["id"], EN_USER["id"], "👍", False),
        (EN_USER["id"], EN_USER["id"], "❤", True),
    ]
    assert nonzero(await rollup(db, ZH_USER["id"])) == {"reactions_given": 2}
    # Reacting to one's own message is no interaction: counted neither way.
    assert nonzero(await rollup(db, EN_USER["id"])) == {
        "messages": 1, "chars": 11, "reactions_received": 2, "h09": 1,
    }  # fmt: skip
    [totals] = await all_rows(db, ReactionCount)
    assert (totals.message_id, totals.total, totals.counts) == (mid, 7, {"👍": 5, "🔥": 2})


@pytest.mark.parametrize("source", ["chat_member", "service_message"])
async def test_joins_and_leaves_update_memberships(app, db, source):
    if source == "chat_member":
        join = chat_member(BOB, "left", "member", app.bot, date=T0)
        leave = chat_member(BOB, "member", "left", app.bot, date=T0 + 3600)
    else:
        join = service_message(BOB, app.bot, date=T0, new_chat_members=[BOB, BOT_USER])
        leave = service_message(BOB, app.bot, date=T0 + 3600, left_chat_member=BOB)
    await app.process_update(join)
    await flush(app)
    async with db.begin() as session:
        membership = await session.get(Membership, (COMMUNITY_ID, BOB["id"]))
        assert membership.is_member and membership.joined_at == datetime.fromtimestamp(T0, UTC)
    await app.process_update(leave)
    await app.process_update(group_message("late echo", BOB, app.bot, date=T0 - 60))
    await flush(app)
    async with db.begin() as session:
        membership = await session.get(Membership, (COMMUNITY_ID, BOB["id"]))
        assert await session.get(User, BOT_USER["id"]) is None
    assert not membership.is_member
    assert membership.left_at == datetime.fromtimestamp(T0 + 3600, UTC)
    assert membership.last_seen_at == datetime.fromtimestamp(T0, UTC), "never goes backwards"
    assert membership.first_seen_at == datetime.fromtimestamp(T0 - 60, UTC)
    events = await all_rows(db, MemberChange, MemberChange.at)
    assert [(e.user_id, e.kind) for e in events] == [(BOB["id"], "join"), (BOB["id"], "leave")]
    # Seen again after leaving: a member again.
    await app.process_update(group_message("back", BOB, app.bot, date=T0 + 7200))
    await flush(app)
    async with db.begin() as session:
        membership = await session.get(Membership, (COMMUNITY_ID, BOB["id"]))
    assert membership.is_member and membership.left_at is None
