"""The bot serves configured community chats only: elsewhere it says so and leaves."""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from bot.common.context import Context
from bot.common.roles import forget_admins
from bot.outbox.pace import reply_in_chat

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
    """Log the chat id of a group the bot was added to; leave it if it is not configured."""
    change = update.my_chat_member
    if change.chat.type == "private":
        return
    added = change.new_chat_member.status in (ChatMember.MEMBER, ChatMember.ADMINISTRATOR)
    configured = context.config.community(change.chat.id) is not None
    if added:
        # How an operator finds a group's chat id: add the bot, read this line.
        logger.info(
            "added to %s %r (chat id %s) by user %s%s",
            change.chat.type,
            change.chat.title,
            change.chat.id,
            change.from_user.id if change.from_user else "?",
            ""
            if configured
            else "; not in the config, so leaving: add "
            f"[[communities]] chat_id = {change.chat.id} to serve it",
        )
    if added and not configured:
        await _leave(update, context)


async def whoami(update: Update, context: Context) -> None:
    """/whoami: the sender's Telegram user id and, in a group, the group's chat id."""
    _ = context.gettext(update)
    lines = [_("Your Telegram user id: {id}").format(id=update.effective_user.id)]
    chat = update.effective_chat
    if chat.type != "private":
        lines.append(_("This group's chat id: {id}").format(id=chat.id))
    await reply_in_chat(update, context, "\n".join(lines))


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
        await forget_admins(context, change.chat.id)
