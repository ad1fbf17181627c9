"""The one error handler: log with context, tell the user something useful.

When the database is unreachable (see `storage.db.database_unavailable`) a member is asked to
try again shortly, a failing job logs one line a minute instead of a traceback every tick (its
next tick retries), and a poll answer (nobody to tell) or a successful payment (sent once by
Telegram) is replayed until it is stored.
"""

from __future__ import annotations

import logging
import time

from telegram import Update
from telegram.error import BadRequest, NetworkError, TelegramError

from bot.common.context import Context
from bot.updates import REPLAY_JOB_PREFIX
from storage.db import database_unavailable

logger = logging.getLogger(__name__)

REPLAY_SECONDS = 10.0
REPLAY_ATTEMPTS = 60  # ten minutes of outage
OUTAGE_LOG_SECONDS = 60.0


async def on_error(update: object, context: Context) -> None:
    """Log the failure (ids only, no message text) and apologise to the user."""
    error = context.error
    unavailable = database_unavailable(error)
    # Telegram failing or unreachable (5xx, timeouts) is an outage too, not a bug of ours.
    api_down = isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    if not isinstance(update, Update):
        if unavailable or api_down:
            _log_outage(context, error, "database" if unavailable else "Bot API")
        else:
            logger.error("job or internal task failed", exc_info=error)
        return
    user = update.effective_user
    chat = update.effective_chat
    if unavailable and (update.poll_answer is not None or _payment(update) is not None):
        # Nobody to tell (a poll answer), or nothing to try again (the member paid already;
        # Telegram sends the payment once): processed again later, idempotent either way.
        _replay_later(update, context)
        return
    who = (update.update_id, user.id if user else None, chat.id if chat else None)
    if unavailable or api_down:  # an outage, not a bug: one line, no traceback
        logger.warning("update %s failed (user %s, chat %s): %s unavailable (%s)", *who,
                       "database" if unavailable else "Bot API", error)  # fmt: skip
    else:
        logger.error("update %s failed (user %s, chat %s)", *who, exc_info=error)
    _ = context.gettext(update)
    if unavailable:
        text = _("I cannot reach my database for a moment. Please try again shortly.")
    else:
        text = _("Sorry, something went wrong on my side. Please try again.")
    try:
        if update.callback_query:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_message and chat and chat.type == "private":
            await update.effective_message.reply_text(text)
    except TelegramError as reply_error:
        logger.warning("could not tell user about the error: %s", reply_error)


def _log_outage(context: Context, error: BaseException, what: str) -> None:
    """One warning per job a minute while the database (or Telegram) is unreachable."""
    name = context.job.name if context.job is not None else "polling or a background task"
    now = time.monotonic()
    warned = context.bot_data.outage_warned
    if now < warned.get(name, 0.0):
        return
    warned[name] = now + OUTAGE_LOG_SECONDS
    logger.warning(
        "%s: %s unavailable (%s: %s); retrying at the next tick",
        name, what, type(error).__name__, str(error).splitlines()[0][:200] if str(error) else "",
    )  # fmt: skip


def _payment(update: Update):
    """The update's successful payment, if it is one."""
    return update.message.successful_payment if update.message is not None else None


def _replay_later(update: Update, context: Context) -> None:
    """Process the update again in a while (it changes nothing when stored twice)."""
    attempts = context.bot_data.replays
    attempt = attempts.get(update.update_id, 0) + 1
    if attempt > REPLAY_ATTEMPTS:
        attempts.pop(update.update_id, None)
        logger.error("update %s: database unavailable, gave up after %d tries",
                     update.update_id, REPLAY_ATTEMPTS)  # fmt: skip
        payment = _payment(update)
        if payment is not None:
            logger.error("payment %s NOT recorded: reconcile it by hand",
                         payment.telegram_payment_charge_id)  # fmt: skip
        return
    attempts[update.update_id] = attempt
    if attempt == 1:
        logger.warning("update %s: database unavailable, will process it again",
                       update.update_id)  # fmt: skip
    context.job_queue.run_once(_replay_job, REPLAY_SECONDS, data=update,
                               name=f"{REPLAY_JOB_PREFIX}{update.update_id}")  # fmt: skip


async def _replay_job(context: Context) -> None:
    update: Update = context.job.data
    attempts = context.bot_data.replays
    before = attempts.get(update.update_id)
    await context.application.process_update(update)  # a new failure comes back to on_error
    if attempts.get(update.update_id) == before:
        attempts.pop(update.update_id, None)
        logger.info("update %s processed after the database came back", update.update_id)
