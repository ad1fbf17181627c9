"""/start (registration and deep links) and /help."""

from __future__ import annotations

from telegram import Update

from bot.common.context import Context
from bot.common.roles import is_organizer
from bot.common.users import PAYLOAD_RE, user_info
from bot.members.commands import commands_for
from bot.outbox.pace import reply_in_chat
from storage.users import mark_started, upsert_user


async def start(update: Update, context: Context) -> None:
    """Register the user as reachable, then follow a deep-link payload if there is one."""
    _ = context.gettext(update)
    async with context.db.begin() as session:
        await upsert_user(user_info(update.effective_user), session=session)
        await mark_started(update.effective_user.id, session=session)
    payload = context.args[0] if context.args else ""
    if payload:
        prefix, _sep, rest = payload.partition("_")
        handler = context.bot_data.deep_links.get(prefix)
        if PAYLOAD_RE.match(payload) and handler is not None:
            await handler(update, context, rest)
            return
        await update.effective_message.reply_text(
            _("That link is not valid or has expired. Here is what I can do:")
        )
        await help_command(update, context)
        return
    name = update.effective_user.first_name or ""
    await update.effective_message.reply_text(
        _(
            "Hello, {name}! I am the salon assistant of your community. I will let you know "
            "about offline salons you may like, and you can sign up here. Send /help to see "
            "what I can do."
        ).format(name=name)
    )


async def help_command(update: Update, context: Context) -> None:
    """List the commands this user may use (organizers see theirs too)."""
    _ = context.gettext(update)
    organizer = await is_organizer(context, update.effective_user.id)
    lines = [_("What I can do:")]
    lines += [f"/{c.name} — {_(c.description)}" for c in commands_for(False)]
    if organizer:
        lines += ["", _("For organizers:")]
        lines += [f"/{c.name} — {_(c.description)}" for c in commands_for(True) if c.organizer]
    await reply_in_chat(update, context, "\n".join(lines))  # /help works in the group too
