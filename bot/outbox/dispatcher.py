"""The one outbox dispatcher: claims due messages, sends them at a safe rate, records results.

Sending is concurrent but paced: the dispatcher hands out send *slots* spaced
`1 / messaging.global_rate_per_second` apart, a little ahead of time, to asyncio tasks (at
most `MAX_IN_FLIGHT`). At its slot a task claims one due message (`sending`, in a transaction
that commits before the send), sends it and marks it `sent` / `failed` / back to `pending` in
another transaction. So a row is `sending` only while its request is in flight; a crash
leaves just those rows `sending`, and the next leader (the restarted process, or another
one; bot/outbox/leader.py) first has `recover_in_flight` mark them `unknown`: they are never resent
(a duplicate message is worse than a missing one). Only the leader's dispatcher runs, and
its `fence` re-checks the leadership inside every claim's transaction.

Failures (see bot/outbox/delivery.py): a 429 pauses everything for its retry_after; a 5xx or a
connection failure pauses everything with a growing backoff and puts the row back (a lone
failure counts against `max_attempts`, a streak does not: Telegram is down, not the message);
a timeout after the request left marks the row `unknown`. Outcomes are recorded even across a
short database outage (`delivery.record`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, ForceReply, InlineKeyboardMarkup, InputFile, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.common.config import MessagingConfig
from bot.common.context import Context
from bot.outbox.delivery import delivery_unknown, record
from storage.db import database_unavailable
from storage.feedback import add_poll
from storage.models import OutboxMessage
from storage.outbox import (
    claim_due,
    count_due,
    mark_failed,
    mark_retry,
    mark_sent,
    mark_unknown,
    mark_withdrawn,
)
from storage.types import utcnow
from storage.users import mark_unreachable

logger = logging.getLogger(__name__)

DISPATCH_SECONDS = 0.5
# Slots are handed out this far ahead, so a late tick never leaves the sender idle.
HORIZON_SECONDS = 2 * DISPATCH_SECONDS
MAX_IN_FLIGHT = 64
MAX_BACKOFF_SECONDS = 600.0
# While sends keep failing (Telegram down or unreachable) all sending pauses: 1, 2, 4 ... 60 s.
PAUSE_SECONDS = 1.0
MAX_PAUSE_SECONDS = 60.0
Write = Callable[[AsyncSession], Awaitable[None]]
# Rebuilds a row's payload from the database when it is sent (bot/outbox/render.py): the new
# payload, or None to withdraw the message (no longer true, e.g. an invitation to a full salon).
Render = Callable[[AsyncSession, OutboxMessage], Awaitable[dict | None]]
SENDABLE = {"sendMessage", "sendPoll", "sendPhoto", "sendDocument", "copyMessage",
            "forwardMessage", "sendInvoice"}  # fmt: skip


@dataclass
class Dispatcher:
    """Pacing state of the sender: send slots, the last send per chat, a flood-wait pause."""

    messaging: MessagingConfig
    last_sent: dict[int, float] = field(default_factory=dict)
    paused_until: float = 0.0
    next_slot: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # One claim at a time in this process: a claim reads `last_sent` and then sets it, so two
    # tasks claiming at once (PostgreSQL runs their transactions side by side) could both take
    # a message for the same chat within its interval.
    claim_lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    tasks: set[asyncio.Task] = field(default_factory=set)
    stopping: bool = False
    failures: int = 0  # consecutive sends that failed on the network or with a 5xx
    # Asked inside each claim's transaction; False (this process no longer leads) claims
    # nothing. None: always allowed (one process, or a test).
    fence: Callable[[AsyncSession], Awaitable[bool]] | None = None
    # Rows whose payload carries a "_render" key are brought up to date just before sending.
    render: Render | None = None

    def interval(self, chat_id: int) -> float:
        """Seconds between two messages to this chat (groups: their per-minute limit)."""
        if chat_id < 0:
            return 60.0 / self.messaging.group_messages_per_minute
        return self.messaging.per_chat_interval_seconds

    def busy_chats(self, now: float) -> frozenset[int]:
        """Chats that must not get a message yet."""
        stale = [c for c, t in self.last_sent.items() if now - t >= max(self.interval(c), 60)]
        for chat in stale:  # forget chats idle for a minute so the dict stays small
            del self.last_sent[chat]
        return frozenset(c for c, t in self.last_sent.items() if now - t < self.interval(c))

    def batch_size(self) -> int:
        """Messages per tick that keep the global rate."""
        return max(1, int(self.messaging.global_rate_per_second * DISPATCH_SECONDS))

    def take_slot(self) -> float:
        """The monotonic time of the next free send slot (reserving it)."""
        slot = max(time.monotonic(), self.next_slot, self.paused_until)
        self.next_slot = slot + 1.0 / self.messaging.global_rate_per_second
        return slot

    def free_slots(self, horizon: float) -> int:
        """How many slots fit before `horizon` seconds from now, within the in-flight bound."""
        now = time.monotonic()
        start = max(now, self.next_slot, self.paused_until)
        fit = math.floor((now + horizon - start) * self.messaging.global_rate_per_second)
        return max(0, min(fit, MAX_IN_FLIGHT - len(self.tasks)))

    def failed(self, error: Exception) -> bool:
        """A send failed for a passing reason: pause all sending, longer each time it recurs.

        Sends already in flight that fail during the pause do not lengthen it. Returns True
        when this failure follows another one (Telegram looks down, not this message).
        """
        now = time.monotonic()
        if now >= self.paused_until:
            self.failures += 1
            pause = min(PAUSE_SECONDS * 2 ** (self.failures - 1), MAX_PAUSE_SECONDS)
            self.paused_until = now + pause
            logger.warning("Bot API send failed (%s): pausing sends for %.0f s", error, pause)
        return self.failures > 1

    def succeeded(self) -> None:
        """A send went through: the failure streak is over."""
        if self.failures:
            logger.info("Bot API sends work again after %d failed tries", self.failures)
            self.failures = 0

    async def close(self) -> None:
        """Stop handing out slots and wait for the sends already started."""
        self.stopping = True
        if self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


def _snake(method: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower()


def _markup(value: object) -> object:
    if isinstance(value, dict) and "inline_keyboard" in value:
        return InlineKeyboardMarkup.de_json(value, None)
    if isinstance(value, dict) and value.get("force_reply"):
        return ForceReply.de_json(value, None)
    return value


def _document(value: object) -> object:
    """A stored file (`{"filename", "content"}`, e.g. an .ics) becomes an upload."""
    if isinstance(value, dict) and "content" in value:
        return InputFile(value["content"].encode(), filename=value.get("filename"))
    return value


def _param(key: str, value: object) -> object:
    if key == "reply_markup":
        return _markup(value)
    if key == "document":
        return _document(value)
    return value


async def send_payload(bot: Bot, row: OutboxMessage) -> Message:
    """Call the Bot API method of an outbox row with its stored parameters.

    Keys starting with "_" are the bot's own notes (how to render it again), never sent.
    """
    if row.method not in SENDABLE:
        raise ValueError(f"outbox method {row.method!r} is not sendable")
    params = {k: _param(k, v) for k, v in row.payload.items() if not k.startswith("_")}
    return await getattr(bot, _snake(row.method))(chat_id=row.chat_id, **params)


def _retry_seconds(error: RetryAfter) -> float:
    with warnings.catch_warnings():  # PTB 22 warns about int vs timedelta here
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _send_one(
    bot: Bot, db: async_sessionmaker, dispatcher: Dispatcher, row: OutboxMessage
) -> bool:
    """Send one claimed row and record the outcome; True when it was delivered."""
    try:
        message = await send_payload(bot, row)
    except (TelegramError, ValueError, TypeError) as error:
        write = _failure(dispatcher, row, error)
        delivered = False
    else:
        dispatcher.succeeded()
        write = _delivered(row, message)
        delivered = True
    await record(db, write, what=f"outbox {row.id}", stopping=lambda: dispatcher.stopping)
    return delivered


def _delivered(row: OutboxMessage, message: Message) -> Write:
    async def write(session: AsyncSession) -> None:
        await mark_sent(row.id, session=session, telegram_message_id=message.message_id)
        if message.poll is not None and row.salon_id is not None and row.user_id is not None:
            await add_poll(message.poll.id, session=session, salon_id=row.salon_id,
                           user_id=row.user_id, message_id=message.message_id)  # fmt: skip

    return write


def _failure(dispatcher: Dispatcher, row: OutboxMessage, error: Exception) -> Write:
    """How to record a failed send (and pause sending when Telegram asks or fails)."""
    reason = str(error)
    if isinstance(error, RetryAfter):
        seconds = _retry_seconds(error)
        dispatcher.paused_until = max(dispatcher.paused_until, time.monotonic() + seconds)
        logger.warning("flood wait %.0f s (outbox %s)", seconds, row.id)
        not_before = utcnow() + timedelta(seconds=seconds)
        return lambda s: mark_retry(row.id, not_before, session=s, error=reason,
                                    count_attempt=False)  # fmt: skip
    if isinstance(error, Forbidden):
        logger.info("outbox %s: chat %s unreachable: %s", row.id, row.chat_id, error)
        user_id = row.user_id if row.user_id is not None else row.chat_id

        async def unreachable(session: AsyncSession) -> None:
            await mark_failed(row.id, reason, session=session)
            if user_id > 0:
                await mark_unreachable(user_id, reason, session=session)

        return unreachable
    if isinstance(error, BadRequest):  # a subclass of NetworkError, but retrying cannot help
        logger.warning("outbox %s rejected: %s", row.id, error)
        return lambda s: mark_failed(row.id, reason, session=s)
    if isinstance(error, NetworkError):  # timeouts, 5xx, connection failures
        return _network_failure(dispatcher, row, error)
    logger.error("outbox %s cannot be sent: %s", row.id, error)
    return lambda s: mark_failed(row.id, f"{type(error).__name__}: {reason}", session=s)


def _network_failure(dispatcher: Dispatcher, row: OutboxMessage, error: NetworkError) -> Write:
    reason = str(error) or type(error).__name__
    outage = dispatcher.failed(error)
    if delivery_unknown(error):
        logger.warning("outbox %s: outcome unknown (%s); never resent", row.id, reason)
        return lambda s: mark_unknown(row.id, reason, session=s)
    attempts = row.attempts + 1
    if attempts >= dispatcher.messaging.max_attempts and not outage:
        logger.warning("outbox %s failed after %d attempts: %s", row.id, attempts, reason)
        return lambda s: mark_failed(row.id, reason, session=s)
    # In an outage the dispatcher's pause does the backing off: due again when it ends.
    delay = dispatcher.paused_until - time.monotonic() if outage else 2.0**attempts
    not_before = utcnow() + timedelta(seconds=min(max(delay, 0.0), MAX_BACKOFF_SECONDS))
    return lambda s: mark_retry(row.id, not_before, session=s, error=reason)


async def _send_at(bot: Bot, db: async_sessionmaker, dispatcher: Dispatcher, slot: float) -> bool:
    """At `slot`, claim one due message (for a chat free to receive one) and send it."""
    delay = slot - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)
    if dispatcher.stopping or time.monotonic() < dispatcher.paused_until:
        return False  # nothing was claimed for this slot: nothing to hand back
    async with dispatcher.claim_lock, db.begin() as session:
        if dispatcher.fence is not None and not await dispatcher.fence(session):
            return False
        now = time.monotonic()
        rows = await claim_due(1, session=session, skip_chats=dispatcher.busy_chats(now))
        rows = await _rendered(dispatcher, rows, session)
        for row in rows:
            dispatcher.last_sent[row.chat_id] = now
    if not rows:
        return False
    return await _send_one(bot, db, dispatcher, rows[0])


async def _rendered(
    dispatcher: Dispatcher, rows: list[OutboxMessage], session: AsyncSession
) -> list[OutboxMessage]:
    """Bring claimed rows up to date (in the claim's transaction); withdraw stale ones."""
    if dispatcher.render is None:
        return rows
    kept = []
    for row in rows:
        if "_render" not in row.payload:
            kept.append(row)
            continue
        payload = await dispatcher.render(session, row)
        if payload is None:
            logger.info("outbox %s withdrawn: no longer true", row.id)
            await mark_withdrawn(row.id, session=session)
            continue
        row.payload = payload  # stored too: the row records what was sent
        kept.append(row)
    return kept


async def _due(db: async_sessionmaker, limit: int) -> int:
    async with db.begin() as session:
        return await count_due(limit, session=session)


async def dispatch_once(bot: Bot, db: async_sessionmaker, dispatcher: Dispatcher) -> int:
    """Send one tick's worth of due messages, wait for them; returns how many were delivered.

    Tests and tools use this; the bot's repeating job uses `pump`, which does not wait.
    """
    if dispatcher.lock.locked() or time.monotonic() < dispatcher.paused_until:
        return 0
    async with dispatcher.lock:
        count = min(dispatcher.batch_size(), await _due(db, dispatcher.batch_size()))
        tasks = [
            asyncio.create_task(_send_at(bot, db, dispatcher, dispatcher.take_slot()))
            for _ in range(count)
        ]
        return sum(await asyncio.gather(*tasks))


async def pump(bot: Bot, db: async_sessionmaker, dispatcher: Dispatcher) -> int:
    """Hand out the send slots of the next `HORIZON_SECONDS` to tasks; returns how many.

    Returns at once: the tasks claim, send and record by themselves, at most `MAX_IN_FLIGHT`
    at a time, so sending overlaps the Bot API's answer time while keeping the pace.
    """
    if dispatcher.stopping or dispatcher.lock.locked():
        return 0
    async with dispatcher.lock:
        room = dispatcher.free_slots(HORIZON_SECONDS)
        if room <= 0:
            return 0
        count = await _due(db, room)
        for _ in range(count):
            task = asyncio.create_task(_send_at(bot, db, dispatcher, dispatcher.take_slot()))
            dispatcher.tasks.add(task)
            task.add_done_callback(_finished(dispatcher))
        return count


def _finished(dispatcher: Dispatcher):
    def done(task: asyncio.Task) -> None:
        dispatcher.tasks.discard(task)
        if task.cancelled() or task.exception() is None:
            return
        error = task.exception()
        if database_unavailable(error):  # a claimed row stays `sending`: unknown at next start
            logger.warning("outbox send task: database unavailable (%s)", type(error).__name__)
        else:
            logger.error("outbox send task failed", exc_info=error)

    return done


async def dispatch_job(context: Context) -> None:
    """The repeating tick that drives `pump` (its Dispatcher is the job's data)."""
    await pump(context.bot, context.db, context.job.data)
