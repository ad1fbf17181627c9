"""Logging that never prints the bot token or payment secrets."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable

REDACTED = "[redacted]"
HIDDEN = "'[hidden]'"
# What members wrote and who they are, in the reprs and JSON that PTB's DEBUG lines print
# (updates received, API calls and their results): `text='...'`, `'text': '...'`, `"text": "..."`.
_MEMBER_FIELDS = re.compile(
    r"(\b(?:text|caption|first_name|last_name|username|quote|bio|title|question|comment)"
    r"['\"]?\s*[:=]\s*)(['\"])(?:\\.|(?!\2).)*\2"
)


def hide_member_texts(text: str) -> str:
    """`text='hello'` -> `text='[hidden]'` (and the same for names, captions, ...)."""
    return _MEMBER_FIELDS.sub(lambda m: m.group(1) + HIDDEN, text)


class RedactingFormatter(logging.Formatter):
    """Formats as usual, then replaces every secret (message, arguments and tracebacks)."""

    def __init__(self, fmt: str, secrets: Iterable[str]) -> None:
        super().__init__(fmt)
        ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
        # Case-insensitive: PTB capitalizes error descriptions ("Bad Request: x" -> "X"),
        # which lower-cases a token the Bot API echoed.
        self._pattern = (
            re.compile("|".join(re.escape(s) for s in ordered), re.IGNORECASE) if ordered else None
        )

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.name.startswith("telegram") and record.levelno <= logging.DEBUG:
            # PTB logs whole updates at DEBUG: never what members wrote (store_text or not,
            # tracking stopped or not: a log line cannot tell whose text it is).
            text = hide_member_texts(text)
        return self._pattern.sub(REDACTED, text) if self._pattern else text


def setup_logging(level: str, secrets: Iterable[str], stream=None) -> None:
    """Configure the root logger; httpx (which logs URLs containing the token) only warns."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(max(logging.INFO, logging.getLevelName(level)))
