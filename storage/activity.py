"""Writing behaviour data: a batch of activity events in a few statements, rollups included.

`add_activity` is shared by the bot's buffer (live updates) and the importers, so all of them
follow the same rules: opted-out members are never stored, every member seen becomes a user
and a membership, raw rows are written once (rows already stored are skipped by their
natural key: the chat's message id, or a hash of the row), and only the rows really added
count in the daily rollups. Callers own the transaction; on SQLite writers are serialised,
so the check for stored rows and the insert cannot race.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.activity_rows import (
    add_member_events,
    add_messages,
    add_reactions,
    get_known_hashes,
    get_message_authors,
    update_edited_messages,
    upsert_reaction_counts,
)
from storage.bulk import among, chunks
from storage.erasures import erased_before, get_erasures
from storage.events import (
    SEEN,
    Event,
    MemberEvent,
    MessageEvent,
    ReactionCountEvent,
    ReactionEvent,
    row_hash,
    scrub_events,
)
from storage.memberships import Sighting, record_leaves, upsert_memberships
from storage.models import GroupMessage, Reaction, User
from storage.models.activity import LEAVE
from storage.rollups import Rollups, add_rollups
from storage.users import UserInfo, add_users, upsert_users


@dataclass
class ActivityCounts:
    """How many rows a batch added (stored duplicates and opted-out members not counted)."""

    messages: int = 0
    edits: int = 0
    reactions: int = 0
    member_events: int = 0
    opted_out: int = 0

    def add(self, other: ActivityCounts) -> None:
        """Sum another batch's counts into this one."""
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class _Batch:
    messages: list[MessageEvent]
    edits: list[MessageEvent]
    reactions: list[ReactionEvent]
    totals: list[ReactionCountEvent]
    members: list[MemberEvent]


def _split(events: Iterable[Event]) -> _Batch:
    batch = _Batch([], [], [], [], [])
    for event in events:
        if isinstance(event, MessageEvent):
            (batch.edits if event.edit else batch.messages).append(event)
        elif isinstance(event, ReactionEvent):
            if event.row_hash is None:
                event.row_hash = row_hash(event.user_id, event.reacted_at.timestamp(),
                                          event.message_id, event.emoji, event.added)  # fmt: skip
            batch.reactions.append(event)
        elif isinstance(event, MemberEvent):
            batch.members.append(event)
        else:
            batch.totals.append(event)
    return batch


async def add_activity(
    events: Iterable[Event],
    *,
    session: AsyncSession,
    store_text: bool = False,
    text_since: datetime | None = None,
) -> ActivityCounts:
    """Store a batch of events with their users, memberships and rollup increments.

    Text is kept only when `store_text` is on and the message is newer than `text_since`.
    """
    batch = _split(scrub_events(events))
    await _skip_stored(batch, session=session)
    counts = ActivityCounts()
    counts.opted_out = await _drop_opted_out(batch, session=session)
    counts.opted_out += await _drop_erased(batch, session=session)
    await _users_and_memberships(batch, session=session)
    policy = (store_text, text_since)
    await add_messages(batch.messages, policy, session=session)
    await add_reactions(batch.reactions, session=session)
    counts.messages, counts.reactions = len(batch.messages), len(batch.reactions)
    counts.edits = await update_edited_messages(batch.edits, policy, session=session)
    await upsert_reaction_counts(batch.totals, session=session)
    counts.member_events = await add_member_events(batch.members, session=session)
    rollups = Rollups()
    for m in batch.messages:
        rollups.message(m.community_id, m.user_id, m.sent_at, m.length, m.reply_to_user_id)
    for r in batch.reactions:
        if r.added:  # a removal is logged, but the reaction given stays counted that day
            rollups.reaction(r.community_id, r.user_id, r.reacted_at, r.target_user_id)
    await add_rollups(rollups, session=session)
    return counts


async def _skip_stored(batch: _Batch, *, session: AsyncSession) -> None:
    """Drop rows stored before (or twice in the batch); fill in authors of replied messages."""
    messages, reactions = batch.messages, batch.reactions
    wanted = {(m.community_id, m.message_id) for m in messages if m.message_id is not None}
    wanted |= {(m.community_id, m.reply_to_message_id) for m in messages
               if m.reply_to_user_id is None and m.reply_to_message_id is not None}  # fmt: skip
    wanted |= {(r.community_id, r.message_id) for r in reactions
               if r.target_user_id is None and r.message_id is not None}  # fmt: skip
    stored = await get_message_authors(wanted, session=session)
    hashes = {(m.community_id, m.row_hash) for m in messages if m.message_id is None}
    known = await get_known_hashes(GroupMessage.__table__, hashes, session=session)
    known |= await get_known_hashes(
        Reaction.__table__, {(r.community_id, r.row_hash) for r in reactions}, session=session
    )
    authors = dict(stored)
    fresh = []
    for m in messages:
        key = (m.community_id, m.message_id) if m.message_id is not None else None
        identity = key or (m.community_id, m.row_hash)
        if identity in stored or identity in known:
            continue
        known.add(identity)
        if key is not None:
            authors[key] = m.user_id
        fresh.append(m)
    batch.messages = fresh
    for m in fresh:
        if m.reply_to_user_id is None and m.reply_to_message_id is not None:
            m.reply_to_user_id = authors.get((m.community_id, m.reply_to_message_id))
    fresh_reactions = []
    for r in reactions:
        if (r.community_id, r.row_hash) in known:
            continue
        known.add((r.community_id, r.row_hash))
        if r.target_user_id is None and r.message_id is not None:
            r.target_user_id = authors.get((r.community_id, r.message_id))
        fresh_reactions.append(r)
    batch.reactions = fresh_reactions


async def _drop_opted_out(batch: _Batch, *, session: AsyncSession) -> int:
    """Opted-out members are never stored, neither as actors nor as targets."""
    actors = [*batch.messages, *batch.edits, *batch.reactions, *batch.members]
    referenced = {e.user_id for e in actors}
    referenced |= {m.reply_to_user_id for m in batch.messages if m.reply_to_user_id}
    referenced |= {r.target_user_id for r in batch.reactions if r.target_user_id}
    opted_out: set[int] = set()
    for chunk in chunks(sorted(referenced)):
        opted = User.tracking_opt_out.is_(True)
        query = select(User.id).where(among(session, User.id, chunk), opted)
        opted_out.update(await session.scalars(query))
    if not opted_out:
        return 0
    for name in ("messages", "edits", "reactions", "members"):
        setattr(batch, name, [e for e in getattr(batch, name) if e.user_id not in opted_out])
    for m in batch.messages:
        if m.reply_to_user_id in opted_out:
            m.reply_to_user_id, m.reply_to = None, None
    for r in batch.reactions:
        if r.target_user_id in opted_out:
            r.target_user_id = None
    kept = len(batch.messages) + len(batch.edits) + len(batch.reactions) + len(batch.members)
    return len(actors) - kept


async def _drop_erased(batch: _Batch, *, session: AsyncSession) -> int:
    """Nothing dated before a person's erasure comes back (storage/erasures.py)."""
    referenced = {e.user_id for e in (*batch.messages, *batch.edits, *batch.reactions,
                                      *batch.members)}  # fmt: skip
    referenced |= {m.reply_to_user_id for m in batch.messages if m.reply_to_user_id}
    referenced |= {r.target_user_id for r in batch.reactions if r.target_user_id}
    erasures = await get_erasures(referenced, session=session)
    if not erasures:
        return 0
    before = len(batch.messages) + len(batch.edits) + len(batch.reactions) + len(batch.members)
    batch.messages = [
        m for m in batch.messages if not erased_before(erasures, m.user_id, m.sent_at)
    ]
    batch.edits = [e for e in batch.edits
                   if not erased_before(erasures, e.user_id, e.sent_at)]  # fmt: skip
    batch.reactions = [r for r in batch.reactions
                       if not erased_before(erasures, r.user_id, r.reacted_at)]  # fmt: skip
    batch.members = [e for e in batch.members if not erased_before(erasures, e.user_id, e.at)]
    for m in batch.messages:  # a reply to their old message: the reply stays, the link goes
        if erased_before(erasures, m.reply_to_user_id, m.reply_to_sent_at):
            m.reply_to_user_id, m.reply_to, m.reply_to_sent_at = None, None, None
    for r in batch.reactions:
        if erased_before(erasures, r.target_user_id, None):
            r.target_user_id = None
    after = len(batch.messages) + len(batch.edits) + len(batch.reactions) + len(batch.members)
    return before - after


async def _users_and_memberships(batch: _Batch, *, session: AsyncSession) -> None:
    """Every user seen becomes a users row, and a membership where they were active.

    Names seen live refresh the stored ones; names from imports only fill in new users.
    """
    live: dict[int, UserInfo] = {}
    imported: dict[int, UserInfo | None] = {}
    sightings: list[Sighting] = []
    leaves: list[tuple[int, int, datetime]] = []

    def seen(user_id: int, info: UserInfo | None, source: str) -> None:
        if source == "bot" and info is not None:
            live[user_id] = info
        elif imported.get(user_id) is None:
            imported[user_id] = info

    for m in batch.messages:
        seen(m.user_id, m.user, m.source)
        sightings.append(Sighting(m.community_id, m.user_id, m.sent_at, m.sent_at,
                                  active_at=m.sent_at))  # fmt: skip
        if m.reply_to_user_id is not None:
            seen(m.reply_to_user_id, m.reply_to, m.source)
            if m.reply_to_sent_at is not None:
                at = m.reply_to_sent_at
                sightings.append(Sighting(m.community_id, m.reply_to_user_id, at, at))
    for e in batch.edits:
        seen(e.user_id, e.user, e.source)
    for r in batch.reactions:
        seen(r.user_id, r.user, r.source)
        active = r.reacted_at if r.added else None  # as in the rollups: given when added
        sightings.append(Sighting(r.community_id, r.user_id, r.reacted_at, r.reacted_at,
                                  active_at=active))  # fmt: skip
        if r.target_user_id is not None:
            seen(r.target_user_id, None, "import")
    for e in batch.members:
        seen(e.user_id, e.user, e.source)
        if e.kind == LEAVE:
            leaves.append((e.community_id, e.user_id, e.at))
        else:
            joined = None if e.kind == SEEN else e.at
            sightings.append(Sighting(e.community_id, e.user_id, e.at, e.at, joined))
    await upsert_users(live.values(), session=session)
    await add_users({k: v for k, v in imported.items() if k not in live}, session=session)
    await upsert_memberships(sightings, session=session)
    await record_leaves(leaves, session=session)
