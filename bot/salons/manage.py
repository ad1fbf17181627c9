"""/salons and the organizer's buttons: open, publish, discard and cancel a salon."""

from __future__ import annotations

import logging
from datetime import timedelta
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot import callbacks
from bot.common.context import Context
from bot.common.roles import organizer_communities
from bot.salons.access import NOT_ORGANIZER, STALE_BUTTON, managed_salon, tell
from bot.salons.changes import CANCELLED, enqueue_notices, refresh_announcement
from bot.salons.guests import set_guests_welcome
from bot.salons.organizer_texts import announcement, menu_markup, menu_text, status_mark
from bot.seats.refund_notices import cancel_refunds, refunds_line
from storage.co_organizers import list_co_organized_salons
from storage.models.salons import SALON_CANCELLED, SALON_DRAFT
from storage.salon_admin import (
    cancel_salon,
    claim_publication,
    delete_draft,
    list_salon_recipients,
    revert_to_draft,
    set_announcement,
)
from storage.salons import get_salon, list_organizer_salons
from storage.types import utcnow

logger = logging.getLogger(__name__)
RECENT = timedelta(days=30)  # /salons lists salons that started up to this long ago


async def list_salons(update: Update, context: Context) -> None:
    """/salons (or the « All my salons button): one button per salon to manage it."""
    _ = context.gettext(update)
    language = context.language(update)
    communities = await organizer_communities(context, update.effective_user.id)
    async with context.db.begin() as session:
        salons = await list_organizer_salons([c.chat_id for c in communities], session=session)
        # ...and the salons they co-organize in other communities.
        mine = {s.id for s in salons}
        co = await list_co_organized_salons(update.effective_user.id, session=session)
        salons += [s for s in co if s.id not in mine and s.starts_at > utcnow() - RECENT]
    if not communities and not salons:
        await tell(update, _(NOT_ORGANIZER))
        return
    now = utcnow()
    upcoming = sorted((s for s in salons if s.starts_at > now), key=lambda s: s.starts_at)
    past = [s for s in salons if s.starts_at <= now]
    buttons = []
    for salon in upcoming + past:
        zone = ZoneInfo(context.config.community(salon.community_id).timezone)
        mark = status_mark(salon, language) or ("🕘" if salon.starts_at <= now else "📅")
        label = f"{mark} {salon.starts_at.astimezone(zone):%m-%d %H:%M} {salon.title}"
        buttons.append(
            [InlineKeyboardButton(label[:60], callback_data=callbacks.salon("m", salon.id))]
        )
    if buttons:
        text = _("Your salons (upcoming, then the last 30 days). Tap one to manage it:")
    else:
        text = _("You have no salons yet. Create one with /newsalon.")
    markup = InlineKeyboardMarkup(buttons) if buttons else None
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    else:
        await update.effective_message.reply_text(text, reply_markup=markup)


# The S: actions on_button takes (app.py derives its pattern from them).
ACTIONS = ("l", "m", "pub", "drop", "x", "X", "gy", "gn")


async def on_button(update: Update, context: Context) -> None:
    """S:l, S:m, S:pub, S:drop, S:x, S:X, S:gy, S:gn: re-checks the organizer on every press."""
    parsed = callbacks.parse(update.callback_query.data, callbacks.SALON)
    if parsed is None or (parsed.action != "l" and len(parsed.numbers) != 1):
        await tell(update, context.gettext(update)(STALE_BUTTON))
        return
    action, numbers = parsed.action, parsed.numbers
    if action == "l":
        await list_salons(update, context)
        return
    if action in ("gy", "gn"):
        await set_guests_welcome(update, context, numbers[0], action == "gy")
        return
    handler = {"m": show_menu, "pub": publish, "drop": discard, "x": confirm_cancel,
               "X": cancel}.get(action)  # fmt: skip
    if handler is None:
        await tell(update, context.gettext(update)(STALE_BUTTON))
        return
    await handler(update, context, numbers[0])


async def show_menu(update: Update, context: Context, salon_id: int) -> None:
    """A salon's card with what the organizer may do with it."""
    found = await managed_salon(update, context, salon_id)
    if found is None:
        return
    salon, community = found
    language = context.language(update)
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        menu_text(salon, community, language),
        reply_markup=menu_markup(salon, language, past=salon.starts_at <= utcnow()),
    )


async def publish(update: Update, context: Context, salon_id: int) -> None:
    """Publish a draft: post the announcement with its Join button in the community chat."""
    _ = context.gettext(update)
    found = await managed_salon(update, context, salon_id)
    if found is None:
        return
    salon, community = found
    if salon.status != SALON_DRAFT:
        await tell(update, _("This salon is not a draft: it was already published or cancelled."))
        return
    if salon.starts_at <= utcnow():
        await tell(update, _("Its start time has passed. Edit the time first, then publish."))
        return
    async with context.db.begin() as session:
        claimed = await claim_publication(salon.id, session=session)
    if not claimed:
        await tell(update, _("This salon is not a draft: it was already published or cancelled."))
        return
    text, markup = announcement(salon, community, context.bot.username)
    try:
        message = await context.bot.send_message(community.chat_id, text, reply_markup=markup)
    except TelegramError as error:
        logger.warning("announcement of salon %s failed: %s", salon.id, error)
        async with context.db.begin() as session:
            await revert_to_draft(salon.id, session=session)
        failed = _("I could not post in the group ({error}). Is the bot still a member there? "
                   "The salon stays a draft.")  # fmt: skip
        await tell(update, failed.format(error=error.message))
        return
    async with context.db.begin() as session:
        await set_announcement(salon.id, message.message_id, session=session)
        salon = await get_salon(salon.id, session=session)
    language = context.language(update)
    await update.callback_query.answer(_("Published!"))
    head = _("Published in {community}.").format(community=community.title)
    await update.callback_query.edit_message_text(
        f"{head}\n\n{menu_text(salon, community, language)}",
        reply_markup=menu_markup(salon, language, past=False),
    )


async def discard(update: Update, context: Context, salon_id: int) -> None:
    """Delete a draft that was never published."""
    _ = context.gettext(update)
    if await managed_salon(update, context, salon_id, fresh=True) is None:
        return
    async with context.db.begin() as session:
        deleted = await delete_draft(salon_id, session=session)
    if not deleted:
        await tell(update, _("Only drafts can be discarded. To call off a salon, cancel it."))
        return
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(_("Discarded. Nothing was published."))


async def confirm_cancel(update: Update, context: Context, salon_id: int) -> None:
    """Ask before cancelling: it notifies everyone signed up."""
    _ = context.gettext(update)
    found = await managed_salon(update, context, salon_id)
    if found is None or not await _cancellable(update, context, found[0]):
        return
    salon = found[0]
    yes_data = callbacks.salon("X", salon.id)
    yes = InlineKeyboardButton("❌ " + _("Yes, cancel it"), callback_data=yes_data)
    keep = InlineKeyboardButton(_("No, keep it"), callback_data=callbacks.salon("m", salon.id))
    buttons = [[yes, keep]]
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        _("Cancel “{title}”? Signups close and everyone signed up is told.").format(
            title=salon.title
        ),
        reply_markup=InlineKeyboardMarkup(buttons),
    )


async def cancel(update: Update, context: Context, salon_id: int) -> None:
    """Cancel: close signups, withdraw its pending messages, notify members and the group."""
    _ = context.gettext(update)
    found = await managed_salon(update, context, salon_id, fresh=True)
    if found is None or not await _cancellable(update, context, found[0]):
        return
    salon, community = found
    async with context.db.begin() as session:
        if not await cancel_salon(salon.id, session=session):
            await tell(update, _("This salon is already cancelled."))
            return
        salon = await get_salon(salon.id, session=session)
        recipients = await list_salon_recipients(salon.id, session=session)
        told = await enqueue_notices(
            recipients, salon, community, CANCELLED, "cancelled", session=session
        )
        refunds = await cancel_refunds(context.config, salon, session=session)
    await refresh_announcement(context, salon, community)
    language = context.language(update)
    await update.callback_query.answer()
    head = _("Cancelled. {count} signed-up members will be notified.").format(count=told)
    if refunds:
        head += " " + refunds_line(_, refunds)
    await update.callback_query.edit_message_text(
        f"{head}\n\n{menu_text(salon, community, language)}",
        reply_markup=menu_markup(salon, language, past=True),
    )


async def _cancellable(update: Update, context: Context, salon) -> bool:
    _ = context.gettext(update)
    if salon.status == SALON_CANCELLED:
        await tell(update, _("This salon is already cancelled."))
        return False
    if salon.status == SALON_DRAFT:
        await tell(update, _("This salon is only a draft: discard it instead."))
        return False
    if salon.starts_at <= utcnow():
        await tell(update, _("This salon has already started; it can no longer be changed."))
        return False
    return True
