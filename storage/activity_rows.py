"""The raw activity tables, written in bulk; `storage.activity.add_activity` calls these."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.bulk import among, chunks, execute_many
from storage.events import MemberEvent, MessageEvent, ReactionCountEvent, ReactionEvent
from storage.models import GroupMessage, MemberChange, Reaction, ReactionCount
from storage.models.activity import JOIN, LEAVE
from storage.upsert import insert_for

TextPolicy = tuple[bool, datetime | None]  # (store text at all, only for messages since)
_messages = GroupMessage.__table__
_reactions = Reaction.__table__
_member_events = MemberChange.__table__
_counts = ReactionCount.__table__


def _text(message: MessageEvent, policy: TextPolicy) -> str | None:
    store, since = policy
    if not store or not message.text or (since is not None and message.sent_at < since):
        return None
    return message.text


async def get_message_authors(
    keys: set[tuple[int, int]], *, session: AsyncSession
) -> dict[tuple[int, int], int]:
    """Authors of stored messages: (community_id, message_id) -> user_id."""
    by_community: dict[int, list[int]] = defaultdict(list)
    for community_id, message_id in keys:
        by_community[community_id].append(message_id)
    found = {}
    c = _messages.c
    for community_id, message_ids in by_community.items():
        for chunk in chunks(sorted(message_ids)):
            query = select(c.message_id, c.user_id).where(
                c.community_id == community_id, among(session, c.message_id, chunk)
            )
            found.update({(community_id, m): u for m, u in await session.execute(query)})
    return found


async def get_known_hashes(
    table: Table, keys: set[tuple[int, str]], *, session: AsyncSession
) -> set[tuple[int, str]]:
    """Which (community_id, row_hash) of `table` (messages or reactions) are stored."""
    by_community: dict[int, list[str]] = defaultdict(list)
    for community_id, digest in keys:
        by_community[community_id].append(digest)
    found = set()
    for community_id, digests in by_community.items():
        for chunk in chunks(sorted(digests)):
            query = select(table.c.row_hash).where(
                table.c.community_id == community_id, among(session, table.c.row_hash, chunk)
            )
            found.update((community_id, d) for d in await session.scalars(query))
    return found


def _insert_new(insert, table: Table):
    # Rows are checked against the stored ones first; this only guards against a race.
    return insert(table).on_conflict_do_nothing()


def _insert_messages(insert):
    return _insert_new(insert, _messages)


def _insert_reactions(insert):
    return _insert_new(insert, _reactions)


async def add_messages(
    messages: list[MessageEvent], policy: TextPolicy, *, session: AsyncSession
) -> None:
    """Insert messages known to be new."""
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
    await execute_many(session, _messages, _insert_messages, rows)


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


async def add_reactions(reactions: list[ReactionEvent], *, session: AsyncSession) -> None:
    """Insert reaction events known to be new (`row_hash` set)."""
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
            "row_hash": r.row_hash,
        }
        for r in reactions
    ]
    await execute_many(session, _reactions, _insert_reactions, rows)


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
