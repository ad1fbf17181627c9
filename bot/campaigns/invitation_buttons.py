"""The buttons under an invitation: Join (I:j), Not this time (I:n), Stop invitations (I:x)."""

from __future__ import annotations

from telegram import Update

from bot import callbacks
from bot.common.context import Context
from bot.common.users import user_info
from bot.members.membership import seat_allowed
from bot.salons.access import STALE_BUTTON, tell
from bot.seats import replies, service
from storage.invitations import (
    add_decline,
    get_member_invitation,
    set_response,
    stop_invitations,
)
from storage.models.campaigns import DECLINED_INVITE, STOPPED
from storage.salons import get_salon

MEMBER_ACTIONS = ("j", "n", "x")


async def on_button(update: Update, context: Context) -> None:
    """A member's answer to an invitation; re-checks that the invitation is theirs."""
    parsed = callbacks.parse(update.callback_query.data, callbacks.INVITE)
    _ = context.gettext(update)
    if parsed is None or parsed.action not in MEMBER_ACTIONS or len(parsed.numbers) != 1:
        await tell(update, _(STALE_BUTTON))
        return
    action, (salon_id,) = parsed.action, parsed.numbers
    user_id = update.effective_user.id
    # Untrusted data: the press counts only if this member was invited to this salon.
    async with context.db.begin() as session:
        invitation = await get_member_invitation(salon_id, user_id, session=session)
    if invitation is None:
        await tell(update, _("This invitation is not valid for you."))
        return
    if action == "j":
        if not await seat_allowed(update, context, salon_id):  # still a member?
            return
        user = user_info(update.effective_user)
        result = await service.join(context.db, context.config, user, salon_id,
                                    source="invitation")  # fmt: skip
        await replies.tell_joined(update, context, result)
        return
    if action == "n":
        await decline(update, context, salon_id)
        return
    async with context.db.begin() as session:
        withdrawn = await stop_invitations(user_id, session=session)
        invitation = await get_member_invitation(salon_id, user_id, session=session)
        await set_response(invitation, STOPPED, session=session)
    text = _("Done: I will not send you invitations any more. You can still see what is on "
             "with /events.")  # fmt: skip
    if withdrawn:
        text += " " + _("Invitations already queued for you were withdrawn.")
    await update.callback_query.answer()
    await update.effective_message.reply_text(text)


async def decline(update: Update, context: Context, salon_id: int) -> None:
    """Not this time: record the decline (a `declined` signup) unless they are signed up."""
    _ = context.gettext(update)
    user_id = update.effective_user.id
    async with context.db.begin() as session:
        salon = await get_salon(salon_id, session=session)
        signup = await add_decline(salon_id, user_id, session=session)
        if signup is not None:
            invitation = await get_member_invitation(salon_id, user_id, session=session)
            await set_response(invitation, DECLINED_INVITE, session=session)
    if signup is None:
        text = _("You are signed up for «{title}». To give up your seat, send /leave {code}.")
        await tell(update, text.format(title=salon.title, code=salon.short_code))
        return
    await update.callback_query.answer()
    await update.effective_message.reply_text(_("Thanks for letting me know. Maybe next time!"))
