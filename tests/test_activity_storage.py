"""Activity storage without Telegram: frames for the recommender, retention, the buffer."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import func, select, update

from bot.activity.buffer import ActivityBuffer
from storage.activity import add_activity
from storage.db import create_engine, session_factory
from storage.dialogues import put_dialogue
from storage.events import MemberEvent, MessageEvent, ReactionEvent
from storage.frames import members_frame, rollups_frame, texts_frame
from storage.models import ActivityDay, Dialogue, GroupMessage, MemberChange, Reaction, User
from storage.models.activity import HOURS
from storage.retention import purge_expired_activity
from storage.types import utcnow
from storage.users import CommunityInfo, UserInfo, upsert_communities

C = -1001234567890
NOW = utcnow().replace(microsecond=0)


async def community(db) -> None:
    async with db.begin() as session:
        await upsert_communities([CommunityInfo(C, "读书会", "UTC", "zh")], session=session)


def chat(user: int, at: datetime, text: str = "hi", **extra) -> MessageEvent:
    return MessageEvent(C, user, at, "text", len(text), text=text,
                        user=UserInfo(user, f"U{user}"), **extra)  # fmt: skip


async def test_frames_have_the_recommenders_columns_and_types(db):
    await community(db)
    day = datetime(2026, 2, 3, 22, 30, tzinfo=UTC)
    async with db.begin() as session:
        await add_activity([
            MemberEvent(C, 7_000_000_001, day - timedelta(days=30), user=UserInfo(7_000_000_001)),
            chat(7_000_000_001, day, "你好", message_id=1),
            chat(2, day + timedelta(hours=2), "re", message_id=2, reply_to_user_id=7_000_000_001),
            ReactionEvent(C, 2, day, "👍", message_id=1, user=UserInfo(2)),
        ], session=session, store_text=True)  # fmt: skip
        await session.execute(update(User).where(User.id == 2).values(
            dm_status="reachable", invites_opt_out=True))  # fmt: skip
        rollups = await rollups_frame(C, session=session)
        members = await members_frame(C, session=session)
        texts = await texts_frame(C, session=session, since=day + timedelta(hours=1))
    assert list(rollups.columns) == [
        "community_id", "user_id", "day", "messages", "chars", "replies_sent",
        "replies_received", "reactions_given", "reactions_received", *HOURS,
    ]  # fmt: skip
    assert str(rollups["day"].dtype) == "datetime64[ns, UTC]"
    assert all(str(rollups[c].dtype) == "int64" for c in rollups.columns if c != "day")
    first = rollups.iloc[0]
    assert (first.user_id, first.day, first.messages, first.h22, first.reactions_received) == (
        2,
        pd.Timestamp("2026-02-03", tz="UTC"),
        0,
        0,
        0,
    )
    by_user = rollups.set_index(["user_id", "day"])
    assert by_user.loc[(7_000_000_001, pd.Timestamp("2026-02-03", tz="UTC"))].to_dict() | {} == {
        **{c: 0 for c in rollups.columns if c not in ("user_id", "day")},
        "community_id": C, "messages": 1, "chars": 2, "h22": 1, "reactions_received": 1,
    }  # fmt: skip
    assert by_user.loc[(2, pd.Timestamp("2026-02-04", tz="UTC")), "replies_sent"] == 1
    assert list(members.columns) == ["community_id", "user_id", "joined_at", "reachable",
                                     "invite_opt_out"]  # fmt: skip
    assert members.to_dict("records") == [
        # Seen talking but never seen joining: the join time is unknown (NaT), not first-seen.
        {"community_id": C, "user_id": 2, "joined_at": pd.NaT,
         "reachable": True, "invite_opt_out": True},
        {"community_id": C, "user_id": 7_000_000_001,
         "joined_at": pd.Timestamp(day - timedelta(days=30)), "reachable": False,
         "invite_opt_out": False},
    ]  # fmt: skip
    assert str(members["joined_at"].dtype) == "datetime64[ns, UTC]"
    assert texts.to_dict("records") == [
        {"community_id": C, "user_id": 2, "sent_at": pd.Timestamp(day + timedelta(hours=2)),
         "text": "re"}]  # fmt: skip


async def test_empty_frames_keep_their_types(db):
    async with db.begin() as session:
        rollups = await rollups_frame(C, session=session)
        members = await members_frame(C, session=session)
    assert rollups.empty and str(rollups["day"].dtype) == "datetime64[ns, UTC]"
    assert members.empty and str(members["user_id"].dtype) == "int64"


async def test_retention_blanks_old_text_and_deletes_old_raw_rows_but_keeps_rollups(db):
    await community(db)
    old, older, recent = NOW - timedelta(days=100), NOW - timedelta(days=400), NOW
    async with db.begin() as session:
        await add_activity([
            chat(1, older, "ancient", message_id=1), chat(1, old, "old", message_id=2),
            chat(1, recent, "new", message_id=3),
            ReactionEvent(C, 2, older, "👍", message_id=3),
            ReactionEvent(C, 2, recent, "🔥", message_id=3),
            MemberEvent(C, 2, older),
        ], session=session, store_text=True)  # fmt: skip
        purged = await purge_expired_activity(
            session=session, text_before=NOW - timedelta(days=90),
            raw_before=NOW - timedelta(days=365),
        )  # fmt: skip
    assert purged == {"texts_blanked": 1, "messages_deleted": 1, "reactions_deleted": 1,
                      "member_events_deleted": 1, "abandoned_dialogues_deleted": 0}  # fmt: skip
    async with db.begin() as session:
        texts = (await session.execute(
            select(GroupMessage.message_id, GroupMessage.text).order_by(GroupMessage.message_id)
        )).all()  # fmt: skip
        assert texts == [(2, None), (3, "new")]
        assert await session.scalar(select(func.count()).select_from(Reaction)) == 1
        assert await session.scalar(select(func.count()).select_from(MemberChange)) == 0
        assert await session.scalar(select(func.sum(ActivityDay.messages))) == 3
        again = await purge_expired_activity(session=session, text_before=NOW - timedelta(days=90),
                                             raw_before=NOW - timedelta(days=365))  # fmt: skip
    assert set(again.values()) == {0}


async def test_retention_deletes_dialogues_and_drafts_left_for_a_week(db):
    async with db.begin() as session:
        for user_id, days in ((1, 8), (2, 1)):
            await put_dialogue(user_id, user_id, None, {"broadcast": {"text": "see you"}},
                               session=session)  # fmt: skip
            await session.execute(update(Dialogue).where(Dialogue.user_id == user_id)
                                  .values(updated_at=NOW - timedelta(days=days)))  # fmt: skip
        purged = await purge_expired_activity(
            session=session, text_before=NOW - timedelta(days=90),
            raw_before=NOW - timedelta(days=365), dialogues_before=NOW - timedelta(days=7),
        )  # fmt: skip
        left = (await session.scalars(select(Dialogue.user_id))).all()
    assert purged["abandoned_dialogues_deleted"] == 1 and left == [2]


async def test_buffer_keeps_events_while_the_database_is_down(db, db_url, tmp_path, caplog):
    await community(db)
    broken = create_engine(f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db")
    buffer = ActivityBuffer(session_factory(broken), communities=frozenset([C]), max_pending=3)
    for minute in range(4):
        buffer.add(chat(1, NOW + timedelta(minutes=minute), message_id=minute + 1))
    assert (len(buffer.pending), buffer.dropped) == (3, 1)  # the oldest went
    with caplog.at_level(logging.WARNING):
        assert await buffer.flush() == 0
    assert len(buffer.pending) == 3 and "keeping them for the next try" in caplog.text
    buffer.db = db  # the database is back
    assert await buffer.flush() == 3
    assert (len(buffer.pending), buffer.written.messages) == (0, 3)
    async with db.begin() as session:
        ids = (
            await session.scalars(select(GroupMessage.message_id).order_by(GroupMessage.id))
        ).all()
    assert ids == [2, 3, 4]
    await broken.dispose()


async def test_buffer_flushes_itself_when_a_batch_is_full_and_on_close(db):
    await community(db)
    buffer = ActivityBuffer(db, communities=frozenset([C]), batch_size=2)
    buffer.add(chat(1, NOW, message_id=1))
    assert buffer._task is None
    buffer.add(chat(1, NOW, message_id=2))
    assert buffer._task is not None  # started in the background, not awaited here
    buffer.add(chat(1, NOW, message_id=3))
    await buffer.close()
    assert not buffer.pending and buffer.written.messages == 3


async def test_retention_job_is_scheduled_daily_and_purges(app, db):
    from bot.common.context import Context
    from bot.jobs import retention_job

    jobs = {job.name: job for job in app.job_queue.jobs()}
    assert jobs["retention"].trigger.interval == timedelta(days=1)
    assert jobs["activity"].trigger.interval == timedelta(seconds=0.5)
    async with db.begin() as session:
        await add_activity([chat(1, NOW - timedelta(days=400), message_id=1),
                            chat(1, NOW - timedelta(days=100), "kept", message_id=2)],
                           session=session, store_text=True)  # fmt: skip
    await retention_job(Context(app))
    async with db.begin() as session:
        rows = (await session.execute(select(GroupMessage.message_id, GroupMessage.text))).all()
        assert rows == [(2, None)]
        assert await session.scalar(select(func.sum(ActivityDay.messages))) == 2
