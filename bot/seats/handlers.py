"""Joining, leaving and claiming a seat: /join, /leave, the J:/L:/C: buttons, `j_` links.

Each handler reads the command or button, calls `bot.seats.service` and replies through
`bot.seats.replies`.
"""

from __future__ import annotations

from telegram import Update

from bot import callbacks
from bot.common.context import Context
from bot.common.users import user_info
from bot.members.membership import seat_allowed
from bot.seats import replies, service
from storage.models.salons import SALON_PUBLISHED
from storage.salons import get_salon
from storage.signups import NOT_FOUND, SignupResult


async def join(
    update: Update, context: Context, *, salon_id: int | None, source: str = "self"
) -> SignupResult:
    """Sign the user up for a salon and tell them where they stand (members only)."""
    if not await seat_allowed(update, context, salon_id):
        return SignupResult(NOT_FOUND)
    user = user_info(update.effective_user)
    result = await service.join(context.db, context.config, user, salon_id, source=source)
    await replies.tell_joined(update, context, result)
    return result


async def join_command(update: Update, context: Context) -> None:
    """/join <salon code>."""
    _ = context.gettext(update)
    if len(context.args) != 1:
        await update.effective_message.reply_text(
            _("Send /join followed by the salon's code, e.g. /join K7PQ2M. /events lists them.")
        )
        return
    salon_id = await service.find_salon_id(context.db, context.config, context.args[0])
    await join(update, context, salon_id=salon_id)


async def join_deep_link(update: Update, context: Context, code: str) -> None:
    """`/start j_<CODE>`: the link under a salon's announcement in the group."""
    salon_id = await service.find_salon_id(context.db, context.config, code)
    await join(update, context, salon_id=salon_id)


async def join_button(update: Update, context: Context) -> None:
    """The Join button (`J:<salon id>`)."""
    salon_id = callbacks.salon_id_of(update.callback_query.data, callbacks.JOIN)
    chat_id = update.effective_chat.id
    if update.effective_chat.type != "private":
        # A button in the group: open the private chat, where the confirmation can be sent.
        async with context.db.begin() as session:
            salon = await get_salon(salon_id, session=session) if salon_id else None
        # Only a published salon of this very group: a forged id reveals no draft's code.
        shown = salon and salon.status == SALON_PUBLISHED and salon.community_id == chat_id
        payload = f"j_{salon.short_code}" if shown else "events"
        await update.callback_query.answer(
            url=f"https://t.me/{context.bot.username}?start={payload}"
        )
        return
    await join(update, context, salon_id=salon_id)


async def leave(
    update: Update, context: Context, *, salon_id: int | None, confirmed: bool = False
) -> None:
    """Release the user's seat or waitlist place; a freed seat is offered to the next."""
    left = await service.leave(context.db, context.config, salon_id, update.effective_user.id,
                               context.language(update), confirmed=confirmed)  # fmt: skip
    await replies.tell_left(update, context, left)


async def leave_command(update: Update, context: Context) -> None:
    """/leave <salon code>."""
    _ = context.gettext(update)
    if len(context.args) != 1:
        await update.effective_message.reply_text(
            _("Send /leave followed by the salon's code, e.g. /leave K7PQ2M.")
        )
        return
    salon_id = await service.find_salon_id(context.db, context.config, context.args[0])
    await leave(update, context, salon_id=salon_id)


async def leave_button(update: Update, context: Context) -> None:
    """Leave / "I can't come" (`L:<salon id>`), and its confirmation (`L:ok:<salon id>`)."""
    data = update.callback_query.data
    confirmed = callbacks.numbers_of(data, callbacks.LEAVE, "ok", 1)
    salon_id = confirmed[0] if confirmed else callbacks.salon_id_of(data, callbacks.LEAVE)
    await leave(update, context, salon_id=salon_id, confirmed=confirmed is not None)


async def claim_button(update: Update, context: Context) -> None:
    """The Claim button (`C:<salon id>`) of a seat offered from the waitlist."""
    salon_id = callbacks.salon_id_of(update.callback_query.data, callbacks.CLAIM)
    if not await seat_allowed(update, context, salon_id):
        return
    result = await service.claim(context.db, context.config, salon_id, update.effective_user.id)
    await replies.tell_claimed(update, context, result)
