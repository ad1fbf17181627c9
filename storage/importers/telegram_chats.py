"""Finding the chat in a Telegram export file: one chat's export or a whole account's.

"Export chat history" writes one chat: `{name, type, id, messages}`. "Export Telegram data"
writes the whole account: `{about, personal_information, ..., chats: {about, list: [chat,
...]}, left_chats: {about, list: [...]}}`; the group to import is chosen by its id (with or
without the -100 of a supergroup's chat id) or its name.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from storage.importers.common import ImportDataError

GROUP_TYPES = {"private_group", "private_supergroup", "public_supergroup"}
MAX_DEPTH = 200  # deeper than any real export (messages are about 5 levels deep)


@dataclass(frozen=True)
class ExportedChat:
    """One chat of an export file, with where its messages array starts in the text."""

    name: str
    type: str
    id: int | None
    messages: list
    messages_at: int  # offset of the messages array's `[` in the file's text

    def label(self) -> str:
        """`700209719 "Name" (private_supergroup)`, for lists of chats."""
        return f'{self.id} "{self.name}" ({self.type})'


def _depth_error(path: Path, text: str) -> ImportDataError:
    """Where the text nests deeper than MAX_DEPTH (scanning brackets outside strings)."""
    depth, in_string, escaped = 0, False, False
    for position, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, position) + 1
                return ImportDataError(path, line, None, f"nested deeper than {MAX_DEPTH} levels")
        elif char in "]}":
            depth -= 1
    return ImportDataError(path, None, None, f"nested deeper than {MAX_DEPTH} levels")


def read_export(path: Path) -> tuple[dict, str]:
    """The parsed export file and its text (for line numbers in errors)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportDataError(path, None, None, "file not found") from None
    except IsADirectoryError:
        raise ImportDataError(path, None, None, "a directory, not an export file") from None
    except UnicodeDecodeError as error:
        raise ImportDataError(path, None, None, f"not UTF-8 text ({error.reason})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        message = f"not valid JSON ({error.msg}, column {error.colno}); is the file complete?"
        raise ImportDataError(path, error.lineno, None, message) from None
    except RecursionError:
        raise _depth_error(path, text) from None
    if not isinstance(document, dict):
        raise ImportDataError(path, 1, None, "not a Telegram export (no JSON object)")
    return document, text


def _chat_id(value: object) -> int | None:
    # bool is an int too; an id beyond 64 bits fits no database column.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 10**15:
        return None
    return value


def list_chats(document: dict, text: str, path: Path) -> list[ExportedChat]:
    """Every chat of the file that has a messages list, in the file's order."""
    if "messages" in document:
        candidates = [document]
    else:
        candidates = []
        for key in ("chats", "left_chats"):
            section = document.get(key)
            chats = section.get("list") if isinstance(section, dict) else None
            if isinstance(chats, list):
                candidates += [c for c in chats if isinstance(c, dict) and "messages" in c]
        if not candidates:
            message = "not a Telegram export (no messages, no chats.list)"
            raise ImportDataError(path, 1, "messages", message)
    # The n-th `"messages": [` of the text is the n-th messages list in document order:
    # inside JSON strings the quotes are escaped, so the pattern cannot match there.
    starts = [m.end() - 1 for m in re.finditer(r'"messages"\s*:\s*\[', text)]
    chats = []
    for index, chat in enumerate(candidates):
        if not isinstance(chat["messages"], list):
            raise ImportDataError(path, 1, "messages", "must be a list")
        at = starts[index] if index < len(starts) else 0
        name = chat.get("name")
        chats.append(ExportedChat(name if isinstance(name, str) else "", str(chat.get("type")),
                                  _chat_id(chat.get("id")), chat["messages"], at))  # fmt: skip
    return chats


def _matches(chat: ExportedChat, wanted: str) -> bool:
    if chat.id is not None and wanted.lstrip("-").isdigit():
        number = int(wanted)
        return number in (chat.id, -chat.id, int(f"-100{chat.id}"))
    return chat.name.strip().casefold() == wanted.strip().casefold()


def choose_chat(
    chats: list[ExportedChat], path: Path, *, chat: str | None, community_id: int | None
) -> ExportedChat:
    """The chat to import: a single-chat export's, or the one `chat` or `community_id` names."""
    if len(chats) == 1 and chat is None:
        return chats[0]
    groups = [c for c in chats if c.type in GROUP_TYPES]
    if chat is not None:
        found = [c for c in chats if _matches(c, chat)]
    elif community_id is not None:
        found = [c for c in chats if _matches(c, str(community_id))]
    else:
        found = groups if len(groups) == 1 else []
    if len(found) == 1:
        return found[0]
    listed = "; ".join(c.label() for c in (groups or chats)) or "none"
    if chat is None and community_id is None:
        problem = f"{len(groups)} group chats in this export, choose one with --chat NAME|ID"
    else:
        wanted = chat if chat is not None else community_id
        many = "several chats match" if found else "no chat matches"
        problem = f"{many} {wanted!r}"
    raise ImportDataError(path, None, "chats", f"{problem}; group chats: {listed}")


def community_of(chat: ExportedChat, path: Path) -> int:
    """The supergroup chat id of an exported chat: -100 followed by the export's id."""
    if chat.id is None:
        raise ImportDataError(path, 1, "id", "missing; pass --community-id")
    return int(f"-100{chat.id}")


def message_line(text: str, array_at: int, index: int) -> int | None:
    """The line where element `index` of the messages array starting at `array_at` starts."""
    if text[array_at : array_at + 1] != "[":
        return None
    decoder, position = json.JSONDecoder(), array_at + 1
    for i in range(index + 1):
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position >= len(text) or text[position] == "]":
            return None
        if i == index:
            return text.count("\n", 0, position) + 1
        _value, position = decoder.raw_decode(text, position)
    return None
