"""Telegram Desktop exports (JSON) into behaviour data; docs/data-formats.md lists the shapes.

One chat's "Export chat history" and a whole account's "Export Telegram data" (the chat
chosen by id or name) are accepted, from 2017's exports (numeric `from_id`, no
`date_unixtime`) to today's (`text_entities`, reactions, forum topics). Times come from
`date_unixtime` when present; older exports only have `date`, local time of the exporting
computer without an offset, which is taken as UTC (it may be off by that offset).
Posts sent as a channel or as the group are community activity of no member: counted, not
stored as a member's message, but the members' reactions to them are kept. Re-importing a
file adds nothing: messages are known by their id, reactions and joins by who, when, what.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from storage.activity import ActivityCounts, add_activity
from storage.events import SEEN, Event, MemberEvent, MessageEvent, ReactionCountEvent, ReactionEvent
from storage.importers.common import BATCH_EVENTS, ImportDataError, ensure_community
from storage.importers.telegram_chats import (
    choose_chat,
    community_of,
    list_chats,
    message_line,
    read_export,
)
from storage.importers.telegram_json import (
    BadValue,
    flat_text,
    message_kind,
    message_time,
    parse_time,
    parse_user_id,
    reaction_emoji,
    unique_names,
)
from storage.models.activity import JOIN, LEAVE
from storage.users import UserInfo

SOURCE = "export"
JOIN_ACTIONS = {"join_group_by_link", "join_group_by_request"}


def _is_id(value: object) -> bool:
    """A message id: an integer (not a bool) that fits the database's 64-bit column.

    A group that became a supergroup keeps its earlier messages with negative ids.
    """
    return isinstance(value, int) and not isinstance(value, bool) and -(2**63) < value < 2**63


@dataclass
class ExportSummary:
    """What the file held and what the import added."""

    community_id: int
    title: str
    created_community: bool = False
    messages: int = 0
    reactions: int = 0
    joins: int = 0
    leaves: int = 0
    members: int = 0
    channel_posts: int = 0  # sent as a channel or as the group: no member's
    channel_post_reactions: int = 0  # members' reactions to those posts (kept)
    service: int = 0  # other service messages (pins, topics, games...): seen activity
    other_chat_replies: int = 0  # replies to another chat's message: not linked
    duplicates: int = 0  # a message id seen before: the first one is kept
    unresolved_names: int = 0  # invited or removed members named without an id
    added: ActivityCounts = field(default_factory=ActivityCounts)


class _Parser:
    """Turns export messages into activity events, counting what it saw."""

    def __init__(self, community_id: int, names: dict[str, int], summary: ExportSummary):
        self.community_id = community_id
        self.names = names
        self.summary = summary
        self.authors: dict[int, int] = {}  # message id -> user id, for replies
        self.members: set[int] = set()
        self.events: list[Event] = []
        self.seen: set[int] = set()

    def message(self, m: dict) -> None:
        if not isinstance(m, dict):
            raise BadValue("messages", "each message must be an object")
        if "id" not in m:
            raise BadValue("id", "missing")
        if not _is_id(m["id"]):
            raise BadValue("id", f"{m['id']!r} is not a whole number")
        if m["id"] in self.seen:
            self.summary.duplicates += 1
            return
        self.seen.add(m["id"])
        kind = m.get("type")
        if kind == "message":
            self._content(m)
        elif kind == "service":
            self._service(m)

    def _user(self, uid: int, name: object) -> UserInfo:
        self.members.add(uid)
        return UserInfo(uid, name if isinstance(name, str) else "")

    def _content(self, m: dict) -> None:
        sent_at = message_time(m)
        # No from_id (old exports' anonymous posts) or a channel's or chat's: no member's.
        uid = parse_user_id(m["from_id"], "from_id") if m.get("from_id") is not None else None
        if uid is None:
            self.summary.channel_posts += 1
            self._reactions(m, None, sent_at)
            return
        text = flat_text(m.get("text", ""))
        reply_to = m.get("reply_to_message_id")
        if reply_to is not None and not _is_id(reply_to):
            raise BadValue("reply_to_message_id", "not a number")
        if reply_to is not None and m.get("reply_to_peer_id") is not None:
            # A reply to a message of another chat: its id means nothing here.
            self.summary.other_chat_replies += 1
            reply_to = None
        edited = m.get("edited_unixtime") or m.get("edited")
        edited_at = None
        if edited is not None:
            edited_at = parse_time(edited, "edited", unix="edited_unixtime" in m)
        self.authors[m["id"]] = uid
        self.summary.messages += 1
        self.events.append(MessageEvent(
            self.community_id, uid, sent_at, message_kind(m), len(text), m["id"],
            reply_to_user_id=self.authors.get(reply_to), reply_to_message_id=reply_to,
            forwarded="forwarded_from" in m, text=text or None, edited_at=edited_at,
            user=self._user(uid, m.get("from")), source=SOURCE,
        ))  # fmt: skip
        self._reactions(m, uid, sent_at)

    def _reactions(self, m: dict, author: int | None, sent_at: datetime) -> None:
        """Members' reactions (`recent` names some of them) and every reaction's total."""
        reactions = m.get("reactions", [])
        if not isinstance(reactions, list):
            raise BadValue("reactions", "must be a list")
        counts: dict[str, int] = {}
        for reaction in reactions:
            if not isinstance(reaction, dict):
                raise BadValue("reactions", "each reaction must be an object")
            emoji = reaction_emoji(reaction)
            count = reaction.get("count", 0)
            if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= 10**9:
                raise BadValue("reactions", "count must be a number")
            counts[emoji] = counts.get(emoji, 0) + count
            recent = reaction.get("recent") or []
            if not isinstance(recent, list):
                raise BadValue("reactions.recent", "must be a list")
            for entry in recent:
                if not isinstance(entry, dict) or "from_id" not in entry:
                    raise BadValue("reactions.recent", "each entry needs from_id and date")
                reactor = parse_user_id(entry["from_id"], "reactions.recent.from_id")
                if reactor is None:
                    continue  # a channel reacted
                if "date_unixtime" in entry:
                    at = parse_time(entry["date_unixtime"], "reactions.recent.date", unix=True)
                else:
                    at = parse_time(entry.get("date"), "reactions.recent.date", unix=False)
                self.summary.reactions += 1
                if author is None:
                    self.summary.channel_post_reactions += 1
                self.events.append(ReactionEvent(
                    self.community_id, reactor, at, emoji, True, m["id"], target_user_id=author,
                    user=self._user(reactor, entry.get("from")), source=SOURCE,
                ))  # fmt: skip
        if counts:
            self.events.append(ReactionCountEvent(self.community_id, m["id"], counts, sent_at))

    def _service(self, m: dict) -> None:
        at = message_time(m)
        actor_id = m.get("actor_id")
        actor = parse_user_id(actor_id, "actor_id") if actor_id is not None else None
        action = m.get("action")
        if action is not None and not isinstance(action, str):
            raise BadValue("action", "must be a string")
        members = m.get("members") or []
        if not isinstance(members, list):
            raise BadValue("members", "must be a list of names")
        if actor is None:
            self.summary.service += 1
            return
        name = m.get("actor")
        user = self._user(actor, name)
        only = members[0] if len(members) == 1 else None
        alone = isinstance(only, str) and (only == name or self.names.get(only) == actor)
        if action in JOIN_ACTIONS or (action == "invite_members" and (not members or alone)):
            self._member(actor, at, JOIN, user)
        elif action == "remove_members" and alone:
            self._member(actor, at, LEAVE, user)
        elif action in ("invite_members", "remove_members"):
            self._member(actor, at, SEEN, user)
            for invited in members:
                uid = self.names.get(invited) if isinstance(invited, str) else None
                if uid is None:
                    self.summary.unresolved_names += 1
                    continue
                kind = JOIN if action == "invite_members" else LEAVE
                self._member(uid, at, kind, self._user(uid, invited))
        else:
            self.summary.service += 1
            self._member(actor, at, SEEN, user)

    def _member(self, uid: int, at: datetime, kind: str, user: UserInfo) -> None:
        if kind == JOIN:
            self.summary.joins += 1
        elif kind == LEAVE:
            self.summary.leaves += 1
        self.events.append(MemberEvent(self.community_id, uid, at, kind, user, SOURCE))


def parse_export(
    path: Path, community_id: int | None = None, chat: str | None = None
) -> tuple[list[Event], ExportSummary]:
    """All events of the export's chat (ImportDataError on the first bad value)."""
    document, text = read_export(path)
    chats = list_chats(document, text, path)
    chosen = choose_chat(chats, path, chat=chat, community_id=community_id)
    if community_id is None:
        community_id = community_of(chosen, path)
    summary = ExportSummary(community_id, chosen.name or str(community_id))
    parser = _Parser(community_id, unique_names(chosen.messages), summary)
    for index, message in enumerate(chosen.messages):
        try:
            parser.message(message)
        except BadValue as error:
            line = message_line(text, chosen.messages_at, index)
            raise ImportDataError(
                path, line, f"messages[{index}].{error.field}", str(error)
            ) from None
    summary.members = len(parser.members)
    return parser.events, summary


async def import_telegram_export(
    path: Path,
    *,
    session: AsyncSession,
    community_id: int | None = None,
    chat: str | None = None,
    store_text: bool = False,
    text_since: datetime | None = None,
) -> ExportSummary:
    """Import an export file into the community (created from the export if unknown)."""
    events, summary = parse_export(path, community_id, chat)
    summary.created_community = await ensure_community(
        summary.community_id, summary.title, session=session
    )
    for start in range(0, len(events), BATCH_EVENTS):
        counts = await add_activity(
            events[start : start + BATCH_EVENTS],
            session=session,
            store_text=store_text,
            text_since=text_since,
        )
        summary.added.add(counts)
    return summary
