"""Reading Telegram Desktop export JSON: values, times, names and line numbers."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import UTC, datetime

MEDIA_KINDS = {"sticker": "sticker", "voice_message": "voice", "video_message": "video_note",
               "video_file": "video", "animation": "animation", "audio_file": "audio"}  # fmt: skip
OTHER_KINDS = (("photo", "photo"), ("poll", "poll"), ("location_information", "location"),
               ("contact_information", "contact"), ("file", "document"),
               ("game_title", "game"))  # fmt: skip


class BadValue(ValueError):
    """A bad value in one message: the field's name and what is wrong."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


def parse_time(value: object, name: str, *, unix: bool) -> datetime:
    """A unix time or an ISO time (without an offset: taken as UTC), as aware UTC."""
    try:
        if unix:
            return datetime.fromtimestamp(int(value), UTC)
        at = datetime.fromisoformat(str(value))
    except (TypeError, ValueError, OverflowError, OSError):
        raise BadValue(name, f"{value!r} is not a valid time") from None
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def message_time(message: dict) -> datetime:
    """When a message was sent: `date_unixtime` if present, else `date`."""
    if "date_unixtime" in message:
        return parse_time(message["date_unixtime"], "date_unixtime", unix=True)
    if "date" not in message:
        raise BadValue("date", "missing")
    return parse_time(message["date"], "date", unix=False)


def parse_user_id(value: object, name: str) -> int | None:
    """`user123` (or 123, as old exports write it) -> 123; `channel123` or `chat123` -> None."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
        return value
    if isinstance(value, str):
        match = re.fullmatch(r"(user|channel|chat)(\d{1,19})", value)
        if match and int(match[2]) < 2**63:
            return int(match[2]) if match[1] == "user" else None
    raise BadValue(name, f"{value!r} is not like user123, channel123 or a number")


def flat_text(value: object) -> str:
    """A message's text: a string, or a list of strings and {type, text} objects."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict):
                # Entities: {type, text} (links, mentions, custom_emoji with document_id...).
                text = part.get("text", "")
                parts.append(text if isinstance(text, str) else "")
            elif part is not None:
                raise BadValue("text", "a list may hold strings and {type, text} objects only")
        return "".join(parts)
    raise BadValue("text", "must be a string or a list")


def message_kind(message: dict) -> str:
    """text, photo, sticker, voice, poll, ... as the live tracker names them."""
    if message.get("media_type") in MEDIA_KINDS:
        return MEDIA_KINDS[message["media_type"]]
    return next((kind for key, kind in OTHER_KINDS if key in message), "text")


def reaction_emoji(reaction: dict) -> str:
    """The emoji, `custom:<document_id>`, `paid`, or the type of a reaction not known yet."""
    kind = reaction.get("type")
    if kind == "emoji" and isinstance(reaction.get("emoji"), str):
        return reaction["emoji"]
    if kind == "custom_emoji":
        return f"custom:{reaction.get('document_id', '')}"
    if isinstance(kind, str) and kind:
        return kind[:32]  # paid (Stars), or a kind a newer Telegram adds
    if isinstance(reaction.get("emoji"), str):
        return reaction["emoji"]
    raise BadValue("reactions", f"unknown reaction {reaction!r}")


def unique_names(messages: list) -> dict[str, int]:
    """Display names that belong to exactly one user id (to resolve invite/remove lists)."""
    ids: dict[str, set[int]] = defaultdict(set)
    for m in messages:
        if not isinstance(m, dict):
            continue
        for name_key, id_key in (("from", "from_id"), ("actor", "actor_id")):
            name = m.get(name_key)
            try:
                uid = parse_user_id(m.get(id_key), id_key)
            except BadValue:
                continue
            if isinstance(name, str) and uid is not None:
                ids[name].add(uid)
    return {name: next(iter(found)) for name, found in ids.items() if len(found) == 1}
