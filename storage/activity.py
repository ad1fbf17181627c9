"""Writing behaviour data: a batch of activity events in a few statements, rollups included.

`add_activity` is shared by the bot's buffer (live updates) and the importers, so all of them
follow the same rules: opted-out members are never stored, every member seen becomes a user
and a membership, raw rows are written once (duplicates are skipped by their natural key),
and only the rows really inserted are added to the daily rollups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.activity_rows import (
    add_member_events,
    add_messages,
    add_reactions,
    update_edited_messages,
    upsert_reaction_counts,
)
from storage.events import SEEN, Event, MemberEvent, MessageEvent, ReactionCountEvent, ReactionEvent
from storage.models import GroupMessage, User
from storage.models.activity import LEAVE
from storage.rollups import Rollups, add_rollups
from storage.users import (
    Sighting,
    UserInfo,
    add_user_ids,
    record_leaves,
    upsert_memberships,
    upsert_users,
)

IN_CHUNK = 5000  # ids per IN (...) list: far below SQLite's and asyncpg's parameter limits


@dataclass
class ActivityCounts:
    """How many rows a batch added (duplicates and opted-out members are not counted)."""

    messages: int = 0
    edits: int = 0
    reactions: int = 0
    member_events: int = 0
    opted_out: int = 0

    def add(self, other: ActivityCounts) -> None:
        """Sum another batch's counts into this one."""
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _chunks(values: Sequence, size: int = IN_CHUNK) -> Iterable[Sequence]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def _opted_out(user_ids: set[int], *, session: AsyncSession) -> set[int]:
    found: set[int] = set()
    for chunk in _chunks(sorted(user_ids)):
        query = select(User.id).where(User.id.in_(chunk), User.tracking_opt_out.is_(True))
        found.update(await session.scalars(query))
    return found


async def _authors(
    wanted: set[tuple[int, int]], *, session: AsyncSession
) -> dict[tuple[int, int], int]:
    """Authors of stored messages: (community_id, message_id) -> user_id."""
    by_community: dict[int, list[int]] = defaultdict(list)
    for community_id, message_id in wanted:
        by_community[community_id].append(message_id)
    found = {}
    for community_id, message_ids in by_community.items():
        for chunk in _chunks(sorted(message_ids)):
            rows = await session.execute(
                select(GroupMessage.message_id, GroupMessage.user_id).where(
                    GroupMessage.community_id == community_id, GroupMessage.message_id.in_(chunk)
                )
            )
            found.update({(community_id, m): u for m, u in rows})
    return found


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
    messages: list[MessageEvent] = []
    edits: list[MessageEvent] = []
    reactions: list[ReactionEvent] = []
    totals: list[ReactionCountEvent] = []
    members: list[MemberEvent] = []
    for event in events:
        if isinstance(event, MessageEvent):
            (edits if event.edit else messages).append(event)
        elif isinstance(event, ReactionEvent):
            reactions.append(event)
        elif isinstance(event, MemberEvent):
            members.append(event)
        else:
            totals.append(event)

    # Who wrote the messages replied and reacted to: this batch first, then the database.
    authors = {(m.community_id, m.message_id): m.user_id for m in messages if m.message_id}
    wanted = {(m.community_id, m.reply_to_message_id) for m in messages
              if m.reply_to_user_id is None and m.reply_to_message_id is not None}  # fmt: skip
    wanted |= {(r.community_id, r.message_id) for r in reactions
               if r.target_user_id is None and r.message_id is not None}  # fmt: skip
    authors.update(await _authors(wanted - authors.keys(), session=session))
    for m in messages:
        if m.reply_to_user_id is None and m.reply_to_message_id is not None:
            m.reply_to_user_id = authors.get((m.community_id, m.reply_to_message_id))
    for r in reactions:
        if r.target_user_id is None and r.message_id is not None:
            r.target_user_id = authors.get((r.community_id, r.message_id))

    # Opted-out members are never stored, neither as actors nor as targets.
    actors: list = [*messages, *edits, *reactions, *members]
    referenced = {e.user_id for e in actors}
    referenced |= {m.reply_to_user_id for m in messages if m.reply_to_user_id is not None}
    referenced |= {r.target_user_id for r in reactions if r.target_user_id is not None}
    opted_out = await _opted_out(referenced, session=session)
    counts = ActivityCounts()
    if opted_out:
        kept = [e for e in actors if e.user_id not in opted_out]
        counts.opted_out = len(actors) - len(kept)
        messages = [e for e in messages if e.user_id not in opted_out]
        edits = [e for e in edits if e.user_id not in opted_out]
        reactions = [e for e in reactions if e.user_id not in opted_out]
        members = [e for e in members if e.user_id not in opted_out]
        for m in messages:
            if m.reply_to_user_id in opted_out:
                m.reply_to_user_id, m.reply_to = None, None
        for r in reactions:
            if r.target_user_id in opted_out:
                r.target_user_id = None

    await _users_and_memberships(messages, edits, reactions, members, session=session)
    keep_text = store_text, text_since
    rollups = Rollups()
    counts.messages = await add_messages(messages, rollups, keep_text, session=session)
    counts.edits = await update_edited_messages(edits, keep_text, session=session)
    counts.reactions = await add_reactions(reactions, rollups, session=session)
    await upsert_reaction_counts(totals, session=session)
    counts.member_events = await add_member_events(members, session=session)
    await add_rollups(rollups, session=session)
    return counts


async def _users_and_memberships(messages, edits, reactions, members, *, session) -> None:
    """Every user seen becomes a users row, and a membership where they were active."""
    infos: dict[int, UserInfo] = {}
    ids: set[int] = set()
    sightings: list[Sighting] = []
    leaves: list[tuple[int, int, datetime]] = []
    for m in messages:
        ids.add(m.user_id)
        if m.user is not None:
            infos[m.user_id] = m.user
        sightings.append(Sighting(m.community_id, m.user_id, m.sent_at, m.sent_at))
        if m.reply_to_user_id is not None:
            ids.add(m.reply_to_user_id)
            if m.reply_to is not None:
                infos.setdefault(m.reply_to_user_id, m.reply_to)
            if m.reply_to_sent_at is not None:
                at = m.reply_to_sent_at
                sightings.append(Sighting(m.community_id, m.reply_to_user_id, at, at))
    for e in edits:
        if e.user is not None:
            infos[e.user_id] = e.user
    for r in reactions:
        ids.add(r.user_id)
        if r.user is not None:
            infos[r.user_id] = r.user
        sightings.append(Sighting(r.community_id, r.user_id, r.reacted_at, r.reacted_at))
        if r.target_user_id is not None:
            ids.add(r.target_user_id)
    for e in members:
        ids.add(e.user_id)
        if e.user is not None:
            infos[e.user_id] = e.user
        if e.kind == LEAVE:
            leaves.append((e.community_id, e.user_id, e.at))
        else:
            joined = None if e.kind == SEEN else e.at
            sightings.append(Sighting(e.community_id, e.user_id, e.at, e.at, joined))
    await upsert_users(infos.values(), session=session)
    await add_user_ids(ids - infos.keys(), session=session)
    await upsert_memberships(sightings, session=session)
    await record_leaves(leaves, session=session)
