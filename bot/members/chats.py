"""The bot serves configured community chats only: elsewhere it says so and leaves."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.common.context import Context
from bot.common.roles import forget_admins

logger = logging.getLogger(__name__)


async def _leave(update: Update, context: Context) -> None:
    chat = update.effective_chat
    _ = context.gettext(update)
    logger.info("leaving unconfigured chat %s", chat.id)
    try:
        await context.bot.send_message(
            chat.id,
            _("This bot only serves the communities its operator configured. Goodbye!"),
        )
    except TelegramError as error:
        logger.info("could not say goodbye in chat %s: %s", chat.id, error)
    try:
        await context.bot.leave_chat(chat.id)
    except TelegramError as error:
        logger.warning("could not leave chat %s: %s", chat.id, error)


async def bot_membership_changed(update: Update, context: Context) -> None:
    """Leave a group the bot was added to that is not a configured community."""
    change = update.my_chat_member
    if change.chat.type == "private" or context.config.community(change.chat.id):
        return
    if change.new_chat_member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR):
        await _leave(update, context)


async def unknown_group_message(update: Update, context: Context) -> None:
    """A message from a group that is not configured: leave it and handle nothing else."""
    await _leave(update, context)
    raise ApplicationHandlerStop


ADMIN_STATUSES = (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


async def admins_changed(update: Update, context: Context) -> None:
    """Someone became or stopped being an admin of a community: forget its cached admins."""
    change = update.chat_member
    old, new = change.old_chat_member.status, change.new_chat_member.status
    if old in ADMIN_STATUSES or new in ADMIN_STATUSES:
        forget_admins(context, change.chat.id)
