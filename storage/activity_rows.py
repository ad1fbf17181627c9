"""The raw activity tables, written in bulk; `storage.activity.add_activity` calls these."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.events import MemberEvent, MessageEvent, ReactionCountEvent, ReactionEvent, row_hash
from storage.models import GroupMessage, ReactionCount
from storage.models import MemberEvent as MemberEventRow
from storage.models import ReactionEvent as ReactionRow
from storage.models.activity import JOIN, LEAVE
from storage.rollups import Rollups
from storage.upsert import insert_for

TextPolicy = tuple[bool, datetime | None]  # (store text at all, only for messages since)
_messages = GroupMessage.__table__
_reactions = ReactionRow.__table__
_member_events = MemberEventRow.__table__
_counts = ReactionCount.__table__


def _text(message: MessageEvent, policy: TextPolicy) -> str | None:
    store, since = policy
    if not store or not message.text or (since is not None and message.sent_at < since):
        return None
    return message.text


async def add_messages(
    messages: list[MessageEvent], rollups: Rollups, policy: TextPolicy, *, session: AsyncSession
) -> int:
    """Insert new messages (known ones are skipped) and count the inserted ones in `rollups`."""
    if not messages:
        return 0
    rows = [
        {
            "community_id": m.community_id,
            "message_id": m.message_id,
            "user_id": m.user_id,
            "sent_at": m.sent_at,
            "kind": m.kind[:16],
            "length": m.length,
            "reply_to_user_id": m.reply_to_user_id,
            "thread_id": m.thread_id,
            "forwarded": m.forwarded,
            "text": _text(m, policy),
            "edited_at": m.edited_at,
            "source": m.source,
            "row_hash": m.row_hash,
        }
        for m in messages
    ]
    c = _messages.c
    stmt = (
        insert_for(session)(_messages)
        .on_conflict_do_nothing()
        .returning(c.community_id, c.user_id, c.sent_at, c.length, c.reply_to_user_id)
    )
    inserted = 0
    for community_id, user_id, sent_at, length, reply_to in await session.execute(stmt, rows):
        rollups.message(community_id, user_id, sent_at, length, reply_to)
        inserted += 1
    return inserted


async def update_edited_messages(
    edits: list[MessageEvent], policy: TextPolicy, *, session: AsyncSession
) -> int:
    """Apply edits to stored messages (edits of messages never stored change nothing)."""
    if not edits:
        return 0
    c = _messages.c
    stmt = (
        update(_messages)
        .where(c.community_id == bindparam("b_community"), c.message_id == bindparam("b_message"))
        .values(
            kind=bindparam("b_kind"),
            length=bindparam("b_length"),
            text=bindparam("b_text"),
            edited_at=bindparam("b_edited"),
        )
    )
    rows = [
        {"b_community": e.community_id, "b_message": e.message_id, "b_kind": e.kind[:16],
         "b_length": e.length, "b_text": _text(e, policy), "b_edited": e.edited_at or e.sent_at}
        for e in edits
        if e.message_id is not None
    ]  # fmt: skip
    if rows:
        await session.execute(stmt, rows)
    return len(rows)


async def add_reactions(
    reactions: list[ReactionEvent], rollups: Rollups, *, session: AsyncSession
) -> int:
    """Insert reaction events (known ones skipped); count the new additions in `rollups`."""
    if not reactions:
        return 0
    rows = [
        {
            "community_id": r.community_id,
            "message_id": r.message_id,
            "user_id": r.user_id,
            "target_user_id": r.target_user_id,
            "emoji": r.emoji[:64],
            "added": r.added,
            "reacted_at": r.reacted_at,
            "source": r.source,
            "row_hash": r.row_hash or row_hash(r.message_id, r.target_user_id, r.emoji, r.added),
        }
        for r in reactions
    ]
    c = _reactions.c
    stmt = (
        insert_for(session)(_reactions)
        .on_conflict_do_nothing()
        .returning(c.community_id, c.user_id, c.reacted_at, c.target_user_id, c.added)
    )
    inserted = 0
    for community_id, user_id, reacted_at, target, added in await session.execute(stmt, rows):
        inserted += 1
        if added:  # a removal is logged, but the reaction given stays counted that day
            rollups.reaction(community_id, user_id, reacted_at, target)
    return inserted


async def upsert_reaction_counts(
    totals: list[ReactionCountEvent], *, session: AsyncSession
) -> None:
    """Keep the newest anonymous reaction totals per message."""
    latest: dict[tuple[int, int], ReactionCountEvent] = {}
    for t in totals:
        known = latest.get((t.community_id, t.message_id))
        if known is None or known.at <= t.at:
            latest[t.community_id, t.message_id] = t
    rows = [
        {"community_id": c, "message_id": m, "total": sum(t.counts.values()),
         "counts": t.counts, "updated_at": t.at}
        for (c, m), t in sorted(latest.items())
    ]  # fmt: skip
    if not rows:
        return
    stmt = insert_for(session)(_counts)
    new = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=["community_id", "message_id"],
        set_={"total": new.total, "counts": new.counts, "updated_at": new.updated_at},
        where=_counts.c.updated_at <= new.updated_at,
    )
    await session.execute(stmt, rows)


async def add_member_events(members: list[MemberEvent], *, session: AsyncSession) -> int:
    """Insert join and leave events (known ones skipped); returns how many were new."""
    rows = [
        {"community_id": e.community_id, "user_id": e.user_id, "kind": e.kind, "at": e.at,
         "source": e.source}
        for e in members
        if e.kind in (JOIN, LEAVE)
    ]  # fmt: skip
    if not rows:
        return 0
    stmt = (
        insert_for(session)(_member_events).on_conflict_do_nothing().returning(_member_events.c.id)
    )
    return len((await session.execute(stmt, rows)).all())
