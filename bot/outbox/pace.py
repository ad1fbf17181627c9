"""Replies in a group keep the outbox's pace for that group.

Telegram allows a bot about 20 messages a minute in one group. The dispatcher spaces the
messages it sends there (`Dispatcher.interval`); a reply to a command sent in the group takes
the same slot: while the group's interval since the last message has not passed, the reply is
left out (the previous answer, with its button to the private chat, is still on screen), so
members typing commands in the group can never push the bot past the group's limit.
"""

from __future__ import annotations

import logging
import time

from telegram import InlineKeyboardMarkup, Update

from bot.common.context import Context

logger = logging.getLogger(__name__)


async def reply_in_chat(
    update: Update, context: Context, text: str, markup: InlineKeyboardMarkup | None = None
) -> bool:
    """Reply to the update's message; in a group only at the outbox's pace. True if sent."""
    chat = update.effective_chat
    if chat.type != "private":
        dispatcher = context.bot_data.dispatcher
        now = time.monotonic()
        if chat.id in dispatcher.busy_chats(now):
            logger.debug("reply in chat %s left out: the group's pace", chat.id)
            return False
        dispatcher.last_sent[chat.id] = now  # the dispatcher waits its interval after this
    await update.effective_message.reply_text(text, reply_markup=markup)
    return True
