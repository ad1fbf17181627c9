"""/privacy: what the bot stores and why, and the member's buttons (`P:`) to control it.

Callback data carries no ids: every button acts on the data of whoever pressed it.
"""

from __future__ import annotations

import json

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import BadRequest

from bot import callbacks
from bot.common.context import Context
from bot.common.i18n import N_
from bot.salons.access import STALE_BUTTON
from bot.seats.refund_notices import leave_refunds
from storage.dialogues import lock_dialogue
from storage.payments import salons_paid_for
from storage.privacy import (
    count_deleted,
    delete_user_data,
    export_user_data,
    get_privacy_choices,
    set_invitations,
    set_tracking,
)

_ACTIONS = {"see", "trk:0", "trk:1", "inv:0", "inv:1", "del", "del:yes", "del:no"}

EXPLAIN = N_(
    "Your data and your choices\n\n"
    "What I store about you:\n"
    "• your Telegram name, username and language, and whether I can message you;\n"
    "• in the community group: when you write, reply and react, how long your messages are, "
    "whom you reply and react to, when you join or leave, and daily totals of all that;\n"
    "• your salon signups, check-ins, ratings and comments, and the invitations and "
    "messages I sent you;\n"
    "• the kind of member I think you are and how likely you are to come to each salon, "
    "which my model works out from all this.\n\n"
    "Why: to invite you to salons you will probably like, to hold your seat, remind you and "
    "ask how it went, and to show organizers what works. Only this bot and its operators "
    "use it; it is not sold or shared."
)
TEXT_STORED = N_("The text of your group messages is kept for {days} days.")
TEXT_NOT_STORED = N_("The text of your group messages is not stored.")
STATUS = N_("Tracking in the group: {tracking}. Invitations: {invitations}.")
ON, OFF = N_("on"), N_("off")


def _keyboard(_, tracking: bool, invitations: bool) -> InlineKeyboardMarkup:
    track = (
        (_("Resume tracking"), callbacks.privacy("trk", 1))
        if not tracking
        else (_("Stop tracking"), callbacks.privacy("trk", 0))
    )
    invite = (
        (_("Resume invitations"), callbacks.privacy("inv", 1))
        if not invitations
        else (_("Stop invitations"), callbacks.privacy("inv", 0))
    )
    rows = [
        [(_("See my data"), callbacks.privacy("see"))],
        [invite, track],
        [(_("Delete my data"), callbacks.privacy("del"))],
    ]
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def _explanation(context: Context, _, tracking: bool, invitations: bool) -> str:
    privacy = context.config.privacy
    text = _(TEXT_STORED).format(days=privacy.retention_days) if privacy.store_text else _(
        TEXT_NOT_STORED
    )  # fmt: skip
    status = _(STATUS).format(
        tracking=_(ON) if tracking else _(OFF), invitations=_(ON) if invitations else _(OFF)
    )
    return f"{_(EXPLAIN)}\n{text}\n\n{status}"


async def privacy_command(update: Update, context: Context) -> None:
    """Explain what is stored and why, with the member's choices as buttons."""
    _ = context.gettext(update)
    async with context.db.begin() as session:
        tracking, invitations = await get_privacy_choices(update.effective_user.id, session=session)
    await update.effective_message.reply_text(
        _explanation(context, _, tracking, invitations),
        reply_markup=_keyboard(_, tracking, invitations),
    )


async def privacy_deep_link(update: Update, context: Context, _rest: str) -> None:
    """`/start privacy`: the button under /privacy sent in the group."""
    await privacy_command(update, context)


async def on_button(update: Update, context: Context) -> None:
    """A press of a /privacy button; acts only on the presser's own data."""
    query = update.callback_query
    _ = context.gettext(update)
    parsed = callbacks.parse(query.data, callbacks.PRIVACY)
    action = parsed and ":".join([parsed.action, *map(str, parsed.numbers)])
    if action not in _ACTIONS:
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    user_id = update.effective_user.id
    if action == "see":
        await _send_export(update, context)
        return
    if action == "del":
        await query.answer()
        yes_data = callbacks.privacy("del:yes")
        yes = InlineKeyboardButton(_("Yes, delete my data"), callback_data=yes_data)
        no = InlineKeyboardButton(_("No, keep it"), callback_data=callbacks.privacy("del:no"))
        question = _("Delete everything I store about you? This cannot be undone.")
        await _edit(update, question, InlineKeyboardMarkup([[yes, no]]))
        return
    if action == "del:yes":
        await _delete(update, context)
        return
    async with context.db.begin() as session:
        if action.startswith("trk:"):
            await set_tracking(user_id, enabled=action.endswith("1"), session=session)
        elif action.startswith("inv:"):
            await set_invitations(user_id, enabled=action.endswith("1"), session=session)
        tracking, invitations = await get_privacy_choices(user_id, session=session)
    answers = {
        "trk:0": _("Tracking stopped: I no longer log your messages and reactions."),
        "trk:1": _("Tracking resumed."),
        "inv:0": _("Invitations stopped."),
        "inv:1": _("Invitations resumed."),
        "del:no": _("Nothing was deleted."),
    }
    await query.answer(answers[action])
    await _edit(update, _explanation(context, _, tracking, invitations),
                _keyboard(_, tracking, invitations))  # fmt: skip


async def _send_export(update: Update, context: Context) -> None:
    _ = context.gettext(update)
    user_id = update.effective_user.id
    async with context.db.begin() as session:
        data = await export_user_data(user_id, session=session)
    document = json.dumps(data, ensure_ascii=False, indent=1, default=str).encode("utf-8")
    # Answered after the send: if it fails, the error handler answers with an apology.
    await context.bot.send_document(
        chat_id=user_id,
        document=InputFile(document, filename=f"my-data-{user_id}.json"),
        caption=_("Everything I store about you, as JSON."),
    )
    await update.callback_query.answer()


async def _delete(update: Update, context: Context) -> None:
    _ = context.gettext(update)
    user_id = update.effective_user.id
    # Events still waiting in memory would bring the member back after the deletion: write
    # what is pending (a running flush finishes first), then drop what arrived meanwhile.
    buffer = context.bot_data.activity
    if buffer is not None:
        await buffer.flush()
        buffer.forget(user_id)
    async with context.db.begin() as session:
        if context.bot_data.shared_dialogues:
            # Another process saving the person's dialogue or draft right now would write it
            # back after the deletion: wait for it (bot/salons/dialogues.py), then delete.
            await lock_dialogue(user_id, session=session)
        # Deleting gives up every seat: paid ones are refunded by the rules of leaving
        # (before the deadline); the refund keeps only what it needs (storage/privacy.py).
        for salon in await salons_paid_for(user_id, session=session):
            await leave_refunds(context.config, salon, user_id, "en", session=session)
        counts = await delete_user_data(user_id, session=session)
    await update.callback_query.answer()
    text = _(
        "Done: I deleted everything I stored about you ({rows} records). I no longer remember "
        "your choices either: if you keep writing in the group, I will log it like anyone "
        "else's unless you press Stop tracking below (then I keep only your id and that choice)."
    ).format(rows=count_deleted(counts))
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("Stop tracking"), callback_data=callbacks.privacy("trk", 0))]]
    )
    await _edit(update, text, markup)


async def _edit(update: Update, text: str, markup: InlineKeyboardMarkup) -> None:
    """Replace the message the buttons hang under (or send a new one if that fails)."""
    try:
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    except BadRequest:
        await update.effective_chat.send_message(text, reply_markup=markup)
