"""Bot API error texts, redacted before they are stored or shown to organizers.

An error text can carry what it was about: the bot token (in a URL of a network error), a
quoted piece of a message, a name, a chat or user id. Stored errors (payments.refund_error,
outbox.last_error, users.dm_reason) are read by organizers and exported, so they keep only
what explains the failure: its kind and Telegram's wording without those parts.
"""

from __future__ import annotations

import re

_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}")
_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://\S+", re.IGNORECASE)
# A quote not inside a word ("can't" is no quote) up to its closing partner.
_QUOTED = re.compile(r"(?<!\w)(\"[^\"]*\"|'[^']*'(?!\w))|«[^»]*»|“[^”]*”|「[^」]*」")
_NUMBER = re.compile(r"-?\d{5,}")
_EMAIL_OR_HANDLE = re.compile(r"@\w+|\S+@\S+")
MAX_LENGTH = 200


def redact_error(text: str | None) -> str:
    """The error without tokens, URLs, quoted text, handles and long numbers (ids)."""
    text = (text or "").replace("\x00", "")
    text = _TOKEN.sub("<token>", text)
    text = _URL.sub("<url>", text)
    text = _QUOTED.sub("<…>", text)
    text = _EMAIL_OR_HANDLE.sub("<…>", text)
    text = _NUMBER.sub("<id>", text)
    text = " ".join(text.split())
    return text[:MAX_LENGTH]
