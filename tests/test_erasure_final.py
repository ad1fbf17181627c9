"""Delete-my-data is final: replies, another process's buffer and re-imports bring no one back."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from bot.activity.buffer import ActivityBuffer
from bot.cli import main
from storage.events import MessageEvent
from storage.models import ActivityDay, ErasedUser, Membership, Signup, User
from storage.types import utcnow
from storage.users import UserInfo
from tests.imports import cli_config
from tests.updates import (
    COMMUNITY_ID,
    EN_USER,
    bot_message_json,
    callback,
    group_message,
    message,
)

PERSON = {"id": 6001, "is_bot": False, "first_name": "Zed", "language_code": "en"}


async def delete_via_bot(app) -> None:
    """The person deletes their data (the confirmed button in /privacy)."""
    await app.bot_data.activity.flush()
    await app.process_update(callback("P:del:yes", PERSON, bot=app.bot))


async def person_rows(db) -> dict[str, int]:
    """What is stored about PERSON: user row, memberships, rollups, and the erasure list."""
    async with db.begin() as session:

        def count(model, column):
            return select(func.count()).select_from(model).where(column == PERSON["id"])

        return {
            "users": await session.scalar(count(User, User.id)),
            "memberships": await session.scalar(count(Membership, Membership.user_id)),
            "rollups": await session.scalar(count(ActivityDay, ActivityDay.user_id)),
            "listed": await session.scalar(count(ErasedUser, ErasedUser.user_id)),
        }


async def test_a_reply_to_the_deleted_persons_old_message_does_not_recreate_them(app, db):
    await app.process_update(group_message("my old words", PERSON, bot=app.bot))
    await app.bot_data.activity.flush()
    old = bot_message_json("my old words", {"id": COMMUNITY_ID, "type": "supergroup",
                                            "title": "G"}, PERSON)  # fmt: skip
    old["date"] -= 3600
    await delete_via_bot(app)
    assert await person_rows(db) == {"users": 0, "memberships": 0, "rollups": 0, "listed": 1}
    await app.process_update(group_message("I agree!", EN_USER, bot=app.bot, reply_to_message=old))
    await app.bot_data.activity.flush()
    assert await person_rows(db) == {"users": 0, "memberships": 0, "rollups": 0, "listed": 1}
    async with db.begin() as session:  # the reply itself is kept, without the link
        replies = await session.scalar(
            select(func.sum(ActivityDay.replies_sent)).where(ActivityDay.user_id == EN_USER["id"])
        )
    assert replies == 0


async def test_another_processs_buffer_written_after_the_deletion_brings_nothing(app, db):
    other = ActivityBuffer(app.bot_data.db, communities=frozenset({COMMUNITY_ID}))
    before = utcnow() - timedelta(seconds=5)
    other.add(MessageEvent(COMMUNITY_ID, PERSON["id"], before, "text", 5, 424242,
                           user=UserInfo(PERSON["id"], PERSON["first_name"])))  # fmt: skip
    await delete_via_bot(app)
    await other.flush()
    await other.close()
    assert await person_rows(db) == {"users": 0, "memberships": 0, "rollups": 0, "listed": 1}


async def test_a_reimport_of_an_old_export_brings_nothing(app, db, db_url, tmp_path):
    await delete_via_bot(app)
    folder = tmp_path / "old"
    folder.mkdir()
    (folder / "members.csv").write_text(
        f"community_id,user_id,name,joined_at\n{COMMUNITY_ID},{PERSON['id']},Zed,\n"
        f"{COMMUNITY_ID},{PERSON['id'] + 1},Other,2026-01-01T00:00:00Z\n"
    )
    (folder / "messages.csv").write_text(
        f"community_id,user_id,sent_at,length\n{COMMUNITY_ID},{PERSON['id']},2026-01-05T10:00:00Z,4\n"
    )
    (folder / "events.csv").write_text(
        f"event_id,community_id,title,starts_at\nE1,{COMMUNITY_ID},Old,2026-01-10T10:00:00Z\n"
    )
    (folder / "signups.csv").write_text(
        f"event_id,user_id,response,responded_at\nE1,{PERSON['id']},yes,2026-01-06T10:00:00Z\n"
    )
    config = cli_config(tmp_path, db_url)
    command = ["import", "history", str(folder), "--config", str(config)]
    assert await asyncio.to_thread(main, command) == 0
    assert await person_rows(db) == {"users": 0, "memberships": 0, "rollups": 0, "listed": 1}
    async with db.begin() as session:
        assert await session.scalar(select(func.count()).select_from(Signup)) == 0
        assert await session.get(User, PERSON["id"] + 1) is not None  # the others do come


async def test_what_the_person_does_after_the_deletion_is_new(app, db):
    await delete_via_bot(app)
    await app.process_update(message("/start", PERSON, bot=app.bot))
    await app.process_update(group_message("hello again", PERSON, bot=app.bot,
                                           date=int(utcnow().timestamp()) + 5))  # fmt: skip
    await app.bot_data.activity.flush()
    async with db.begin() as session:
        assert await session.get(User, PERSON["id"]) is not None
        assert await session.get(Membership, (COMMUNITY_ID, PERSON["id"])) is not None
        assert await session.get(ErasedUser, PERSON["id"]) is not None
