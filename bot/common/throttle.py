"""Per-user limit on commands and button presses (a sliding window, in memory)."""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.common.context import Context


@dataclass
class Throttle:
    """Remembers each user's recent commands; `hit` says whether one more is allowed."""

    limit: int
    window: float
    _hits: dict[int, deque[float]] = field(default_factory=dict)
    _warned: set[int] = field(default_factory=set)

    def hit(self, user_id: int, now: float | None = None) -> tuple[bool, bool]:
        """(allowed, first refusal in this burst) for one more command by `user_id`."""
        now = time.monotonic() if now is None else now
        hits = self._hits.setdefault(user_id, deque())
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) < self.limit:
            hits.append(now)
            self._warned.discard(user_id)
            return True, False
        first = user_id not in self._warned
        self._warned.add(user_id)
        if len(self._hits) > 50_000:  # forget idle users so memory stays bounded
            self._hits = {u: h for u, h in self._hits.items() if h and h[-1] > now - self.window}
        return False, first


def _is_command(update: Update) -> bool:
    message = update.message
    return bool(update.callback_query) or bool(
        message and message.text and message.text.startswith("/")
    )


async def throttle(update: Update, context: Context) -> None:
    """Refuse a user's commands beyond the configured rate (telling them once)."""
    if update.effective_user is None or not _is_command(update):
        return
    allowed, first_refusal = context.bot_data.throttle.hit(update.effective_user.id)
    if allowed:
        return
    _ = context.gettext(update)
    text = _("You are sending commands too fast. Please wait a few seconds.")
    if update.callback_query:
        await update.callback_query.answer(text)
    elif first_refusal and update.effective_chat.type == "private":
        await update.effective_message.reply_text(text)
    raise ApplicationHandlerStop
