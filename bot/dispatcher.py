"""The one outbox dispatcher: claims due messages, sends them at a safe rate, records results.

A message is claimed (`sending`) in one transaction that commits before the send, and marked
`sent` / `failed` / back to `pending` in another after it. A crash between the two leaves it
`sending`; at the next start `recover_in_flight` marks such rows `unknown` and they are never
resent (a duplicate reminder is worse than a missing one).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
import warnings
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from telegram import Bot, ForceReply, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.config import MessagingConfig
from bot.context import Context
from storage.feedback import add_poll
from storage.models import OutboxMessage
from storage.outbox import claim_due, mark_failed, mark_retry, mark_sent
from storage.types import utcnow
from storage.users import mark_unreachable

logger = logging.getLogger(__name__)

DISPATCH_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 600.0
SENDABLE = {"sendMessage", "sendPoll", "sendPhoto", "sendDocument", "copyMessage",
            "forwardMessage", "sendInvoice"}  # fmt: skip


@dataclass
class Dispatcher:
    """Pacing state of the sender: the last send per chat and a global flood-wait pause."""

    messaging: MessagingConfig
    last_sent: dict[int, float] = field(default_factory=dict)
    paused_until: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def interval(self, chat_id: int) -> float:
        """Seconds between two messages to this chat (groups: their per-minute limit)."""
        if chat_id < 0:
            return 60.0 / self.messaging.group_messages_per_minute
        return self.messaging.per_chat_interval_seconds

    def busy_chats(self, now: float) -> frozenset[int]:
        """Chats that must not get a message yet."""
        return frozenset(c for c, t in self.last_sent.items() if now - t < self.interval(c))

    def batch_size(self) -> int:
        """Messages per tick that keep the global rate."""
        return max(1, int(self.messaging.global_rate_per_second * DISPATCH_SECONDS))


def _snake(method: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", method).lower()


def _markup(value: object) -> object:
    if isinstance(value, dict) and "inline_keyboard" in value:
        return InlineKeyboardMarkup.de_json(value, None)
    if isinstance(value, dict) and value.get("force_reply"):
        return ForceReply.de_json(value, None)
    return value


async def send_payload(bot: Bot, row: OutboxMessage) -> Message:
    """Call the Bot API method of an outbox row with its stored parameters."""
    if row.method not in SENDABLE:
        raise ValueError(f"outbox method {row.method!r} is not sendable")
    params = {k: _markup(v) if k == "reply_markup" else v for k, v in row.payload.items()}
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
    dispatcher.last_sent[row.chat_id] = time.monotonic()
    attempts = row.attempts + 1
    try:
        message = await send_payload(bot, row)
    except RetryAfter as error:
        seconds = _retry_seconds(error)
        dispatcher.paused_until = max(dispatcher.paused_until, time.monotonic() + seconds)
        logger.warning("flood wait %.0f s (outbox %s)", seconds, row.id)
        async with db.begin() as session:
            await mark_retry(row.id, utcnow() + timedelta(seconds=seconds), session=session,
                             error=str(error), count_attempt=False)  # fmt: skip
        return False
    except Forbidden as error:
        logger.info("outbox %s: chat %s unreachable: %s", row.id, row.chat_id, error)
        async with db.begin() as session:
            await mark_failed(row.id, str(error), session=session)
            if row.user_id is not None or row.chat_id > 0:
                user_id = row.user_id if row.user_id is not None else row.chat_id
                await mark_unreachable(user_id, str(error), session=session)
        return False
    except BadRequest as error:  # a subclass of NetworkError, but retrying cannot help
        logger.warning("outbox %s rejected: %s", row.id, error)
        async with db.begin() as session:
            await mark_failed(row.id, str(error), session=session)
        return False
    except NetworkError as error:
        async with db.begin() as session:
            if attempts >= dispatcher.messaging.max_attempts:
                logger.warning("outbox %s failed after %d attempts: %s", row.id, attempts, error)
                await mark_failed(row.id, str(error), session=session)
            else:
                delay = min(2.0**attempts, MAX_BACKOFF_SECONDS)
                await mark_retry(row.id, utcnow() + timedelta(seconds=delay), session=session,
                                 error=str(error))  # fmt: skip
        return False
    except (TelegramError, ValueError, TypeError) as error:
        logger.error("outbox %s cannot be sent: %s", row.id, error)
        async with db.begin() as session:
            await mark_failed(row.id, f"{type(error).__name__}: {error}", session=session)
        return False
    async with db.begin() as session:
        await mark_sent(row.id, session=session, telegram_message_id=message.message_id)
        if message.poll is not None and row.salon_id is not None and row.user_id is not None:
            await add_poll(message.poll.id, session=session, salon_id=row.salon_id,
                           user_id=row.user_id, message_id=message.message_id)  # fmt: skip
    return True


async def dispatch_once(bot: Bot, db: async_sessionmaker, dispatcher: Dispatcher) -> int:
    """Claim and send one batch of due messages; returns how many were delivered."""
    if dispatcher.lock.locked() or time.monotonic() < dispatcher.paused_until:
        return 0
    async with dispatcher.lock:
        async with db.begin() as session:
            rows = await claim_due(
                dispatcher.batch_size(),
                session=session,
                skip_chats=dispatcher.busy_chats(time.monotonic()),
            )
        if not rows:
            return 0
        spacing = 1.0 / dispatcher.messaging.global_rate_per_second
        tasks = []
        for index, row in enumerate(rows):
            if index:
                await asyncio.sleep(spacing)
            if time.monotonic() < dispatcher.paused_until:
                # A flood wait arrived mid-batch: hand the rest back untouched.
                async with db.begin() as session:
                    for rest in rows[index:]:
                        await mark_retry(rest.id, utcnow(), session=session, count_attempt=False)
                break
            tasks.append(asyncio.create_task(_send_one(bot, db, dispatcher, row)))
        results = await asyncio.gather(*tasks)
        return sum(results)


async def dispatch_job(context: Context) -> None:
    """The repeating tick that drives `dispatch_once` (its Dispatcher is the job's data)."""
    await dispatch_once(context.bot, context.db, context.job.data)
