"""Per-member limit on everything a member makes the bot do (a sliding window, in memory).

Counted: every private message (commands, texts, comment replies, edits), every command in a
group (edited ones too), button presses and poll answers; payments are never refused here.
Plain group chatter is not counted: it costs a buffered append and gets no answer. Over the
limit the member is told once per burst and nothing else happens; edited messages are never
handled further (PTB would run command handlers on them, answering every edit).
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta

from telegram import Update
from telegram.ext import ApplicationHandlerStop

from bot.common.context import Context
from storage.db import database_unavailable
from storage.rates import count_hit
from storage.types import utcnow


@dataclass
class Throttle:
    """Remembers each user's recent commands; `hit` says whether one more is allowed."""

    limit: int
    window: float
    _hits: dict[int, deque[float]] = field(default_factory=dict)
    _warned: set[int] = field(default_factory=set)

    def full(self, user_id: int, now: float | None = None) -> bool:
        """Whether `user_id`'s next update would be refused here (nothing is counted)."""
        now = time.monotonic() if now is None else now
        hits = self._hits.get(user_id, ())
        return sum(1 for t in hits if t > now - self.window) >= self.limit

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


def _counts(update: Update) -> bool:
    """Whether this update counts towards its member's limit."""
    if update.callback_query is not None or update.poll_answer is not None:
        return True
    message = update.message or update.edited_message
    if message is None or message.successful_payment is not None:
        return False  # payments aside: money taken must be recorded
    if message.chat.type == "private":
        return True
    return bool(message.text and message.text.startswith("/"))


async def throttle(update: Update, context: Context) -> None:
    """Refuse a member's updates beyond the configured rate (telling them once); stop edits."""
    user = update.effective_user
    if user is not None and _counts(update):
        allowed, first_refusal = context.bot_data.throttle.hit(user.id)
        if context.bot_data.shared_limit and (allowed or first_refusal):
            # The database's count holds (and says when to tell); this process's own count
            # only spares the database the rest of a flood.
            shared_allowed, first_refusal = await _shared_hit(context, user.id)
            allowed = allowed and shared_allowed
        if not allowed:
            if first_refusal:
                await _tell_once(update, context)
            raise ApplicationHandlerStop
    if update.edited_message is not None:  # tracked already (group -2); never answered
        raise ApplicationHandlerStop


async def _shared_hit(context: Context, user_id: int) -> tuple[bool, bool]:
    """Several processes (PostgreSQL): the count in the database is the one that holds."""
    limit = context.bot_data.throttle
    try:
        async with context.db.begin() as session:
            hits = await count_hit(user_id, window=timedelta(seconds=limit.window),
                                   now=utcnow(), session=session)  # fmt: skip
    except Exception as error:
        if not database_unavailable(error):
            raise
        # The database is away: this process's own count holds meanwhile, and the handler
        # that needs the database answers "try again" once (not the limit as well).
        return True, False
    return hits <= limit.limit, hits == limit.limit + 1


async def _tell_once(update: Update, context: Context) -> None:
    _ = context.gettext(update)
    text = _("You are sending commands too fast. Please wait a few seconds.")
    if update.callback_query:
        await update.callback_query.answer(text)
    elif update.message is not None and update.message.chat.type == "private":
        await update.message.reply_text(text)
