"""members.csv, messages.csv and reactions.csv of `salonbot import history`.

Files are streamed in chunks (rollups are counted per chunk), so their size is bounded by
the disk, not by memory. CSV rows have no message ids: a row is known by a hash of its
sender, time and content, so importing a file again adds nothing (two identical rows - the
same member, second and content - count once).
"""

from __future__ import annotations

from pathlib import Path

from storage.activity import add_activity
from storage.erasures import get_erasures
from storage.events import Event, MemberEvent, MessageEvent, ReactionEvent, row_hash
from storage.importers.common import (
    BATCH_EVENTS,
    FileResult,
    HistoryContext,
    parse_int,
    parse_time,
)
from storage.importers.csvfile import chunked, field, read_rows, required
from storage.memberships import add_memberships_if_missing
from storage.models.activity import JOIN
from storage.types import utcnow
from storage.users import UserInfo, add_users

SOURCE = "csv"
MEMBER_COLUMNS = ("community_id", "user_id")
MEMBER_OPTIONAL = ("name", "joined_at")


def _length(value: str) -> int:
    return parse_int(value, minimum=0, maximum=2**31 - 1)  # a 32-bit column


def _user_id(value: str) -> int:
    return parse_int(value, minimum=1)


async def _add(events: list[Event], ctx: HistoryContext) -> int:
    counts = await add_activity(
        events, session=ctx.session, store_text=ctx.store_text, text_since=ctx.text_since
    )
    ctx.added.add(counts)
    return counts.messages + counts.reactions + counts.member_events


async def import_members(path: Path, ctx: HistoryContext) -> FileResult:
    """members.csv: community_id, user_id[, name][, joined_at]."""
    result = FileResult()
    roster: set[tuple[int, int]] = set()  # members without a join time
    rows = read_rows(path, MEMBER_COLUMNS, MEMBER_OPTIONAL,
                     progress=ctx.progress)  # fmt: skip
    for chunk in chunked(rows, BATCH_EVENTS):
        users: dict[int, UserInfo] = {}
        joins: list[Event] = []
        for line, row in chunk:
            community_id = required(path, line, row, "community_id", ctx.community)
            user_id = required(path, line, row, "user_id", _user_id)
            joined_at = field(path, line, row, "joined_at", parse_time)
            users[user_id] = UserInfo(user_id, row.get("name", "").strip())
            if joined_at is None:
                roster.add((community_id, user_id))
            else:
                joins.append(MemberEvent(community_id, user_id, joined_at, JOIN,
                                         users[user_id], SOURCE))  # fmt: skip
        result.rows += len(chunk)
        # A roster says nothing about when: people who deleted their data stay deleted.
        erased = await get_erasures(users, session=ctx.session)
        roster -= {(c, u) for c, u in roster if u in erased}
        await add_users({u: i for u, i in users.items() if u not in erased}, session=ctx.session)
        result.added += await _add(joins, ctx)

    async def add_roster() -> None:
        # After the other files: a member first seen chatting keeps that time.
        await add_memberships_if_missing(sorted(roster), utcnow(), session=ctx.session)

    ctx.finish.append(add_roster)
    return result


async def import_messages(path: Path, ctx: HistoryContext) -> FileResult:
    """messages.csv: community_id, user_id, sent_at[, length][, reply_to_user_id][, text]."""
    result = FileResult()
    columns = ("length", "reply_to_user_id", "text")
    rows = read_rows(path, ("community_id", "user_id", "sent_at"), columns, progress=ctx.progress)
    for chunk in chunked(rows, BATCH_EVENTS):
        events: list[Event] = []
        for line, row in chunk:
            community_id = required(path, line, row, "community_id", ctx.community)
            user_id = required(path, line, row, "user_id", _user_id)
            sent_at = required(path, line, row, "sent_at", parse_time)
            text = row.get("text") or None
            length = field(path, line, row, "length", _length)
            length = len(text or "") if length is None else length
            reply_to = field(path, line, row, "reply_to_user_id", _user_id)
            digest = row_hash(user_id, sent_at.isoformat(), length, reply_to, text)
            events.append(MessageEvent(
                community_id, user_id, sent_at, "text", length, reply_to_user_id=reply_to,
                text=text, source=SOURCE, row_hash=digest,
            ))  # fmt: skip
        result.rows += len(chunk)
        result.added += await _add(events, ctx)
    return result


async def import_reactions(path: Path, ctx: HistoryContext) -> FileResult:
    """reactions.csv: community_id, user_id, reacted_at[, target_user_id][, emoji]."""
    result = FileResult()
    rows = read_rows(path, ("community_id", "user_id", "reacted_at"),
                     ("target_user_id", "emoji"), progress=ctx.progress)  # fmt: skip
    for chunk in chunked(rows, BATCH_EVENTS):
        events: list[Event] = []
        for line, row in chunk:
            community_id = required(path, line, row, "community_id", ctx.community)
            user_id = required(path, line, row, "user_id", _user_id)
            reacted_at = required(path, line, row, "reacted_at", parse_time)
            target = field(path, line, row, "target_user_id", _user_id)
            emoji = row.get("emoji", "").strip()
            digest = row_hash(user_id, reacted_at.isoformat(), target, emoji)
            events.append(ReactionEvent(
                community_id, user_id, reacted_at, emoji, True, target_user_id=target,
                source=SOURCE, row_hash=digest,
            ))  # fmt: skip
        result.rows += len(chunk)
        result.added += await _add(events, ctx)
    return result
