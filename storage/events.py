"""Plain activity events: what the bot's tracker and the importers hand to `storage.activity`.

They hold values only (no Telegram objects), so the bot can buffer them cheaply in memory.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from storage.models.activity import JOIN, LEAVE
from storage.types import strip_nul
from storage.users import UserInfo

SEEN = "seen"  # a member event that only updates the membership (no member_events row)
MEMBER_KINDS = (JOIN, LEAVE, SEEN)


@dataclass(slots=True)
class MessageEvent:
    """A member's message in a community chat (or, with `edit`, a new version of one)."""

    community_id: int
    user_id: int
    sent_at: datetime
    kind: str = "text"
    length: int = 0
    message_id: int | None = None
    reply_to_user_id: int | None = None
    # When the author of the replied-to message is not known yet: looked up by message id.
    reply_to_message_id: int | None = None
    thread_id: int | None = None
    forwarded: bool = False
    text: str | None = None
    edited_at: datetime | None = None
    edit: bool = False
    user: UserInfo | None = None  # None: only the id is known (imports)
    reply_to: UserInfo | None = None  # the replied-to author, as the update showed them
    reply_to_sent_at: datetime | None = None
    source: str = "bot"
    row_hash: str | None = None  # identity of rows without a message id (CSV)


@dataclass(slots=True)
class ReactionEvent:
    """A member added (or removed) a reaction to a message."""

    community_id: int
    user_id: int
    reacted_at: datetime
    emoji: str
    added: bool = True
    message_id: int | None = None
    target_user_id: int | None = None  # None: looked up from the stored message
    user: UserInfo | None = None
    source: str = "bot"
    row_hash: str | None = None  # None: derived from message, emoji and direction


@dataclass(slots=True)
class ReactionCountEvent:
    """Anonymous reaction totals of one message: emoji -> count."""

    community_id: int
    message_id: int
    counts: dict[str, int]
    at: datetime


@dataclass(slots=True)
class MemberEvent:
    """A user joined, left, or was simply seen in a community."""

    community_id: int
    user_id: int
    at: datetime
    kind: str = JOIN
    user: UserInfo | None = None
    source: str = "bot"


Event = MessageEvent | ReactionEvent | ReactionCountEvent | MemberEvent


def row_hash(*parts: object) -> str:
    """A short stable hash of values (the identity of a row that has no natural id)."""
    text = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def _clean_user(user: UserInfo | None) -> UserInfo | None:
    if user is None:
        return None
    names = (user.first_name, user.last_name or "", user.username or "")
    if not any("\x00" in n for n in names):
        return user
    return replace(
        user,
        first_name=strip_nul(user.first_name),
        last_name=user.last_name and strip_nul(user.last_name),
        username=user.username and strip_nul(user.username),
    )


def scrub_events(events: Iterable[Event]) -> list[Event]:
    """The events with NUL characters removed from every stored string, in place.

    One message with a NUL would make PostgreSQL reject the whole batch it is written in;
    SQLite would keep it, so both backends store the same cleaned text.
    """
    events = list(events)
    for event in events:
        if isinstance(event, MessageEvent):
            if event.text is not None:
                event.text = strip_nul(event.text)
            event.user, event.reply_to = _clean_user(event.user), _clean_user(event.reply_to)
        elif isinstance(event, ReactionEvent):
            event.emoji, event.user = strip_nul(event.emoji), _clean_user(event.user)
        elif isinstance(event, MemberEvent):
            event.user = _clean_user(event.user)
        elif any("\x00" in emoji for emoji in event.counts):
            event.counts = {strip_nul(k): v for k, v in event.counts.items()}
    return events
