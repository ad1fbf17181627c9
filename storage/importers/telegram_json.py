"""Reading Telegram Desktop export JSON: values, times, names and line numbers."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from storage.importers.common import ImportDataError

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
    """`user123` -> 123; `channel123` (or a chat) -> None."""
    if isinstance(value, str):
        match = re.fullmatch(r"(user|channel|chat)(\d{1,19})", value)
        if match:
            return int(match[2]) if match[1] == "user" else None
    raise BadValue(name, f"{value!r} is not like user123 or channel123")


def flat_text(value: object) -> str:
    """A message's text: a string, or a list of strings and {type, text} objects."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = []
        for part in value:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text", ""), str):
                parts.append(part.get("text", ""))
            else:
                raise BadValue("text", "a list may hold strings and {type, text} objects only")
        return "".join(parts)
    raise BadValue("text", "must be a string or a list")


def message_kind(message: dict) -> str:
    """text, photo, sticker, voice, poll, ... as the live tracker names them."""
    if message.get("media_type") in MEDIA_KINDS:
        return MEDIA_KINDS[message["media_type"]]
    return next((kind for key, kind in OTHER_KINDS if key in message), "text")


def reaction_emoji(reaction: dict) -> str:
    """The emoji, `custom:<document_id>` or `paid`."""
    kind = reaction.get("type")
    if kind == "emoji" and isinstance(reaction.get("emoji"), str):
        return reaction["emoji"]
    if kind == "custom_emoji":
        return f"custom:{reaction.get('document_id', '')}"
    if kind == "paid":
        return "paid"
    raise BadValue("reactions", f"unknown reaction {reaction!r}")


def message_line(text: str, index: int) -> int | None:
    """The line where element `index` of the top-level "messages" array starts."""
    match = re.search(r'"messages"\s*:\s*\[', text)
    if match is None:
        return None
    decoder, position = json.JSONDecoder(), match.end()
    for i in range(index + 1):
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            return None
        if i == index:
            return text.count("\n", 0, position) + 1
        _value, position = decoder.raw_decode(text, position)
    return None


def read_export(path: Path) -> tuple[dict, str]:
    """The parsed export and its text (for line numbers in errors)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ImportDataError(path, None, None, "file not found") from None
    except UnicodeDecodeError as error:
        raise ImportDataError(path, None, None, f"not UTF-8 text ({error.reason})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"not valid JSON ({error.msg}, column {error.colno}); is the file complete?"
        raise ImportDataError(path, error.lineno, None, message) from None
    if not isinstance(document, dict) or not isinstance(document.get("messages"), list):
        raise ImportDataError(path, 1, "messages", "not a chat export (no messages list)")
    return document, text


def default_community_id(document: dict, path: Path) -> int:
    """The supergroup chat id of the exported chat: -100 followed by the export's id."""
    chat_id = document.get("id")
    # bool is an int too; an id beyond 64 bits fits no database column.
    if isinstance(chat_id, bool) or not isinstance(chat_id, int) or not 0 < chat_id < 10**15:
        raise ImportDataError(path, 1, "id", "missing; pass --community-id")
    return int(f"-100{chat_id}")


def unique_names(messages: list) -> dict[str, int]:
    """Display names that belong to exactly one user id (to resolve invite/remove lists)."""
    ids: dict[str, set[int]] = defaultdict(set)
    for m in messages:
        if not isinstance(m, dict):
            continue
        for name_key, id_key in (("from", "from_id"), ("actor", "actor_id")):
            name, uid = m.get(name_key), m.get(id_key)
            user = isinstance(uid, str) and re.fullmatch(r"user[0-9]{1,19}", uid) is not None
            if isinstance(name, str) and user:
                ids[name].add(int(uid[4:]))
    return {name: next(iter(found)) for name, found in ids.items() if len(found) == 1}
