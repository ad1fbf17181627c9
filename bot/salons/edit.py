"""Editing a salon's time, title, location, capacity or price: an Edit button, then the value.

Both steps are states of the /newsalon conversation (bot/salons/create.py), so that one
dialogue at a time owns the organizer's next message.
"""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import ConversationHandler

from bot import callbacks
from bot.common.config import CommunityConfig, Config
from bot.common.context import Context
from bot.common.i18n import N_
from bot.salons.access import STALE_BUTTON, managed_salon, tell
from bot.salons.changes import MOVED, RELOCATED, enqueue_notices, refresh_announcement
from bot.salons.input import (
    MAX_LOCATION,
    InputError,
    future_start,
    local_now,
    parse_capacity,
    parse_local_time,
    parse_salon_price,
    parse_text,
    parse_title,
)
from bot.salons.organizer_texts import menu_markup, menu_text
from bot.seats.money import price_example
from storage.models import Salon
from storage.models.salons import SALON_CANCELLED
from storage.outbox import cancel_pending
from storage.salon_admin import list_salon_recipients, update_salon
from storage.salons import get_salon
from storage.types import utcnow

END = ConversationHandler.END
NEW_VALUE = 200
EDIT = "edit_salon"
PROMPTS = {
    "et": N_("Send the new start as YYYY-MM-DD HH:MM ({timezone} time). Everyone signed up "
             "will be told. /cancel keeps the old one."),
    "en": N_("Send the new title (at most 100 characters), or /cancel."),
    "el": N_("Send the new location, or /cancel."),
    "ec": N_("Send the new number of seats, or /cancel."),
    "ep": N_("Send the new price of a seat, for example {example}, or 0 for free; /cancel keeps "
             "it. Seats already paid for stay as they are."),
}  # fmt: skip


async def ask_new_value(update: Update, context: Context) -> int:
    """An Edit button: check the organizer and the salon, then ask for the new value."""
    _ = context.gettext(update)
    parsed = callbacks.parse(update.callback_query.data, callbacks.SALON)
    if parsed is None or parsed.action not in PROMPTS or len(parsed.numbers) != 1:
        await tell(update, _(STALE_BUTTON))
        return END
    found = await managed_salon(update, context, parsed.numbers[0])
    if found is None:
        return END
    salon, community = found
    if salon.status == SALON_CANCELLED or salon.starts_at <= utcnow():
        await tell(update, _("This salon is cancelled or has started; it cannot be edited."))
        return END
    context.user_data[EDIT] = {"salon_id": salon.id, "field": parsed.action}
    await update.callback_query.answer()
    await update.effective_chat.send_message(
        _(PROMPTS[parsed.action]).format(
            timezone=community.timezone, example=price_example(context.config.payments)
        )
    )
    return NEW_VALUE


async def apply_new_value(update: Update, context: Context) -> int | None:
    """The new value: checked against the salon as it is now, saved, announced."""
    _ = context.gettext(update)
    edit = context.user_data.get(EDIT)
    if edit is None:
        return END
    found = await managed_salon(update, context, edit["salon_id"])
    if found is None:
        context.user_data.pop(EDIT, None)
        return END
    salon, community = found
    if salon.status == SALON_CANCELLED or salon.starts_at <= utcnow():
        context.user_data.pop(EDIT, None)
        await update.effective_message.reply_text(
            _("This salon is cancelled or has started; it cannot be edited.")
        )
        return END
    try:
        values = _new_values(
            edit["field"], update.effective_message.text, salon, community, context.config
        )
    except InputError as error:
        await update.effective_message.reply_text(error.text(_))
        return None  # ask again
    moved = "starts_at" in values and values["starts_at"] != salon.starts_at
    relocated = "location" in values and values["location"] != salon.location
    if not moved:  # the same time or place again changes nothing (no new calendar version)
        values.pop("starts_at", None)
    if not relocated:
        values.pop("location", None)
    told = 0
    async with context.db.begin() as session:
        if values and not await update_salon(salon.id, session=session, **values):
            await update.effective_message.reply_text(_("This salon was cancelled meanwhile."))
            return END
        salon = await get_salon(salon.id, session=session)
        if moved:
            # Reminders queued for the old time are void; the tick derives new ones.
            await cancel_pending(session=session, salon_id=salon.id, kinds=("reminder",))
        if moved or relocated:
            recipients = await list_salon_recipients(salon.id, session=session)
            template, what = (MOVED, "moved") if moved else (RELOCATED, "place")
            told = await enqueue_notices(recipients, salon, community, template,
                                         f"{what}:{salon.sequence}", session=session)  # fmt: skip
    context.user_data.pop(EDIT, None)
    await refresh_announcement(context, salon, community)
    language = context.language(update)
    head = _("Saved.")
    if moved:
        head += " " + _("{count} signed-up members will be told about the new time.").format(
            count=told
        )
    elif relocated:
        head += " " + _(
            "{count} signed-up members will be told about the new place, with an updated "
            "calendar entry."
        ).format(count=told)
    await update.effective_message.reply_text(
        f"{head}\n\n{menu_text(salon, community, language)}",
        reply_markup=menu_markup(salon, language, past=False),
    )
    return END


def _new_values(
    field: str, text: str, salon: Salon, community: CommunityConfig, config: Config
) -> dict:
    """The columns to change for this edit; raises `InputError` on bad input."""
    if field == "ep":
        payments = config.payments
        amount, currency = parse_salon_price(
            text, payments.default_currency, bool(payments.provider_token)
        )
        return {"price_amount": amount, "currency": currency}
    if field == "en":
        return {"title": parse_title(text)}
    if field == "el":
        return {"location": parse_text(text, MAX_LOCATION)}
    if field == "ec":
        capacity = parse_capacity(text)
        if capacity < salon.going_count:
            raise InputError(
                N_("{going} members already hold a seat; the capacity cannot be lower."),
                going=salon.going_count,
            )
        return {"capacity": capacity}
    local = parse_local_time(text, local_now(community.timezone))
    starts_at = future_start(local, community.timezone, utcnow())
    return {"starts_at": starts_at, **_shifted(salon, starts_at)}


def _shifted(salon: Salon, starts_at: datetime) -> dict:
    """Keep the duration; a deadline after the new start becomes the start."""
    values: dict = {}
    if salon.ends_at is not None:
        values["ends_at"] = salon.ends_at + (starts_at - salon.starts_at)
    if salon.signup_deadline is not None and salon.signup_deadline > starts_at:
        values["signup_deadline"] = starts_at
    return values
