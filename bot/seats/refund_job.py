"""The refunds tick: Stars refunds that are due are sent, retried and, if stuck, reported.

Each due payment is leased in one transaction (storage.payments.claim_due_refunds), then
refundStarPayment is called outside any transaction and the result recorded in another. A
failure is retried with a growing delay for as long as it takes; after
`[payments] refund_report_after` failures the organizers are told once. Telegram's
CHARGE_ALREADY_REFUNDED (a refund that went through while the answer was lost) counts as done.
"""

from __future__ import annotations

import logging
import warnings
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from telegram import Bot
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.common.config import Config
from bot.common.context import Context
from bot.seats.refund_notices import queue_refund_failing, queue_refunded
from storage.models import Payment
from storage.payments import claim_due_refunds, mark_refund_failed, mark_refunded, mark_reported
from storage.salons import get_salon
from storage.types import utcnow

logger = logging.getLogger(__name__)

BATCH = 20
FIRST_RETRY_SECONDS, MAX_RETRY_SECONDS = 30.0, 3600.0


def retry_delay(attempts: int) -> timedelta:
    """30 s after the first failure, doubling up to an hour."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0),
                                 MAX_RETRY_SECONDS))  # fmt: skip


async def refunds_job(context: Context) -> None:
    """Send the Stars refunds that are due (safe to run twice: rows are leased)."""
    done = await process_refunds(context.bot, context.db, context.config)
    if done:
        logger.info("refunds: %d done", done)


async def process_refunds(
    bot: Bot, db: async_sessionmaker, config: Config, *, now: datetime | None = None
) -> int:
    """Claim due refunds, call refundStarPayment for each, record; returns how many went through."""
    now = now or utcnow()
    async with db.begin() as session:
        due = await claim_due_refunds(BATCH, session=session, now=now)
    done = 0
    for payment in due:
        done += await _refund(bot, db, config, payment, now)
    return done


async def _refund(
    bot: Bot, db: async_sessionmaker, config: Config, payment: Payment, now: datetime
) -> bool:
    error, delay = await _call(bot, payment)
    async with db.begin() as session:
        salon = await get_salon(payment.salon_id, session=session) if payment.salon_id else None
        if error is None:
            done = await mark_refunded(payment.id, session=session)
            if done is not None:
                await queue_refunded(config, salon, done, session=session)
            return done is not None
        retry_at = now + (delay or retry_delay(payment.refund_attempts + 1))
        failed = await mark_refund_failed(payment.id, error, retry_at, session=session)
        if failed is None:
            return False
        logger.warning("refund of payment %s failed (attempt %d): %s", payment.id,
                       failed.refund_attempts, error)  # fmt: skip
        if failed.refund_attempts >= config.payments.refund_report_after and (
            not failed.refund_reported
        ):
            await queue_refund_failing(config, salon, failed, session=session)
            await mark_reported(payment.id, session=session)
    return False


async def _call(bot: Bot, payment: Payment) -> tuple[str | None, timedelta | None]:
    """(None, None) when refunded; else (the error, a delay Telegram asked for, if any)."""
    if payment.user_id is None:
        return "the member's id is unknown", None
    try:
        await bot.refund_star_payment(payment.user_id, payment.telegram_payment_charge_id)
    except RetryAfter as error:
        with warnings.catch_warnings():  # PTB 22 warns about int vs timedelta here
            warnings.simplefilter("ignore")
            wait = error.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return str(error), timedelta(seconds=seconds)
    except BadRequest as error:
        if "CHARGE_ALREADY_REFUNDED" in error.message.upper():
            return None, None
        return error.message, None
    except TelegramError as error:
        return error.message or type(error).__name__, None
    return None, None
