"""Signed, time-limited check-in links: the QR code an organizer shows at the venue.

`/start h_<salon id>_<expiry>_<signature>`: the signature (HMAC-SHA256 under a key derived
from the bot token) covers the salon and the expiry, so a link cannot be made for another
salon or kept alive; it expires `LINK_MINUTES` after it was shown (and with the salon).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

LINK_MINUTES = 30
PREFIX = "h"


def _key(token: str) -> bytes:
    return hashlib.sha256(b"salonbot check-in link\0" + token.encode()).digest()


def _signature(token: str, salon_id: int, expires: int) -> str:
    body = f"{salon_id}.{expires}".encode()
    digest = hmac.new(_key(token), body, hashlib.sha256).digest()[:12]
    return base64.urlsafe_b64encode(digest).decode()


def checkin_payload(token: str, salon_id: int, now: float | None = None) -> str:
    """The deep-link payload (at most 64 characters) for checking in at this salon now."""
    expires = int((time.time() if now is None else now) // 60) + LINK_MINUTES
    return f"{PREFIX}_{salon_id}_{expires:x}_{_signature(token, salon_id, expires)}"


def verify_checkin(token: str, rest: str, now: float | None = None) -> int | None:
    """The salon id of a valid, unexpired link (the payload after `h_`), else None."""
    parts = rest.split("_", 2)
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 18 or len(parts[1]) > 12:
        return None
    try:
        salon_id, expires = int(parts[0]), int(parts[1], 16)
    except ValueError:
        return None
    if not hmac.compare_digest(_signature(token, salon_id, expires), parts[2]):
        return None
    if (time.time() if now is None else now) // 60 >= expires:
        return None
    return salon_id
