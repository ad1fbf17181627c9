"""The one error handler: log with context, tell the user something useful."""

from __future__ import annotations

import logging

from sqlalchemy.exc import DBAPIError, OperationalError
from telegram import Update
from telegram.error import TelegramError

from bot.context import Context

logger = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
    """Log the failure (ids only, no message text) and apologise to the user."""
    error = context.error
    if not isinstance(update, Update):
        logger.error("job or internal task failed", exc_info=error)
        return
    user = update.effective_user
    chat = update.effective_chat
    logger.error(
        "update %s failed (user %s, chat %s)",
        update.update_id,
        user.id if user else None,
        chat.id if chat else None,
        exc_info=error,
    )
    _ = context.gettext(update)
    if isinstance(error, OperationalError | DBAPIError | ConnectionError):
        text = _("I am having trouble right now. Please try again in a few minutes.")
    else:
        text = _("Sorry, something went wrong on my side. Please try again.")
    try:
        if update.callback_query:
            await update.callback_query.answer(text, show_alert=True)
        elif update.effective_message and chat and chat.type == "private":
            await update.effective_message.reply_text(text)
    except TelegramError as reply_error:
        logger.warning("could not tell user about the error: %s", reply_error)
