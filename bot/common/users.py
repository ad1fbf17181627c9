"""Plain values about the people behind updates, and the deep-link payloads they send."""

from __future__ import annotations

import re

from telegram import User

from storage.users import UserInfo

# A `/start <payload>` deep link carries at most 64 of these characters (Telegram's rule).
PAYLOAD_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def user_info(user: User) -> UserInfo:
    """Plain values about a Telegram user."""
    return UserInfo(
        id=user.id,
        first_name=user.first_name or "",
        last_name=user.last_name,
        username=user.username,
        language_code=user.language_code,
        is_bot=user.is_bot,
    )
