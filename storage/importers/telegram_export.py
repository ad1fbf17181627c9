"""Telegram Desktop "Export chat history" (JSON) into behaviour data.

Old and new exports are accepted. Times come from `date_unixtime` when present; old exports
only have `date`, local time of the exporting computer without an offset, which is taken
as UTC (it may be off by that computer's UTC offset). Messages sent as a channel are no
member's and are skipped. Re-importing a file adds nothing: messages are known by their id,
reactions and joins by who, when and what.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from storage.activity import ActivityCounts, add_activity
from storage.events import SEEN, Event, MemberEvent, MessageEvent, ReactionCountEvent, ReactionEvent
from storage.importers.common import BATCH_EVENTS, ImportDataError, ensure_community
from storage.importers.telegram_json import (
    BadValue,
    default_community_id,
    flat_text,
    message_kind,
    message_line,
    message_time,
    parse_time,
    parse_user_id,
    reaction_emoji,
    read_export,
    unique_names,
)
from storage.models.activity import JOIN, LEAVE
from storage.users import UserInfo

SOURCE = "export"
JOIN_ACTIONS = {"join_group_by_link", "join_group_by_request"}


def _is_id(value: object) -> bool:
    """A message id: an integer (not a bool) that fits the database's 64-bit column."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**63


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
    channel_posts: int = 0
    unresolved_names: int = 0
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

    def message(self, m: dict) -> None:
        if not isinstance(m, dict):
            raise BadValue("messages", "each message must be an object")
        if not _is_id(m.get("id")):
            raise BadValue("id", "missing or not a number")
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
        if "from_id" not in m:
            raise BadValue("from_id", "missing")
        uid = parse_user_id(m["from_id"], "from_id")
        if uid is None:
            self.summary.channel_posts += 1
            return
        text = flat_text(m.get("text", ""))
        reply_to = m.get("reply_to_message_id")
        if reply_to is not None and not _is_id(reply_to):
            raise BadValue("reply_to_message_id", "not a number")
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
            counts[emoji] = count
            for recent in reaction.get("recent", []):
                if not isinstance(recent, dict) or "from_id" not in recent:
                    raise BadValue("reactions.recent", "each entry needs from_id and date")
                reactor = parse_user_id(recent["from_id"], "reactions.recent.from_id")
                if reactor is None:
                    continue
                at = parse_time(recent.get("date"), "reactions.recent.date", unix=False)
                self.summary.reactions += 1
                self.events.append(ReactionEvent(
                    self.community_id, reactor, at, emoji, True, m["id"], target_user_id=uid,
                    user=self._user(reactor, recent.get("from")), source=SOURCE,
                ))  # fmt: skip
        if counts:
            self.events.append(ReactionCountEvent(self.community_id, m["id"], counts, sent_at))

    def _service(self, m: dict) -> None:
        at = message_time(m)
        actor = parse_user_id(m["actor_id"], "actor_id") if "actor_id" in m else None
        action = m.get("action")
        if action is not None and not isinstance(action, str):
            raise BadValue("action", "must be a string")
        if actor is None:
            return
        user = self._user(actor, m.get("actor"))
        members = m.get("members", [])
        if not isinstance(members, list):
            raise BadValue("members", "must be a list of names")
        if action in JOIN_ACTIONS or (action == "invite_members" and members == [m.get("actor")]):
            self._member(actor, at, JOIN, user)
        elif action == "remove_members" and members == [m.get("actor")]:
            self._member(actor, at, LEAVE, user)
        elif action in ("invite_members", "remove_members"):
            self._member(actor, at, SEEN, user)
            for name in members:
                uid = self.names.get(name) if isinstance(name, str) else None
                if uid is None:
                    self.summary.unresolved_names += 1
                    continue
                kind = JOIN if action == "invite_members" else LEAVE
                self._member(uid, at, kind, self._user(uid, name))
        else:
            self._member(actor, at, SEEN, user)

    def _member(self, uid: int, at: datetime, kind: str, user: UserInfo) -> None:
        if kind == JOIN:
            self.summary.joins += 1
        elif kind == LEAVE:
            self.summary.leaves += 1
        self.events.append(MemberEvent(self.community_id, uid, at, kind, user, SOURCE))


def parse_export(path: Path, community_id: int | None = None) -> tuple[list[Event], ExportSummary]:
    """All events of an export file (ImportDataError on the first bad value)."""
    document, text = read_export(path)
    if community_id is None:
        community_id = default_community_id(document, path)
    summary = ExportSummary(community_id, str(document.get("name") or community_id))
    messages = document["messages"]
    parser = _Parser(community_id, unique_names(messages), summary)
    for index, message in enumerate(messages):
        try:
            parser.message(message)
        except BadValue as error:
            line = message_line(text, index)
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
    store_text: bool = False,
    text_since: datetime | None = None,
) -> ExportSummary:
    """Import an export file into the community (created from the export if unknown)."""
    events, summary = parse_export(path, community_id)
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
