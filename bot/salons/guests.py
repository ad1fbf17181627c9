"""A salon's "guests welcome" switch: a public event that people outside the community may
see and join (bot/members/membership.py checks it on every way to a seat)."""

from __future__ import annotations

from telegram import Update

from bot.common.context import Context
from bot.salons.access import managed_salon, tell
from bot.salons.organizer_texts import join_link, menu_markup, menu_text
from storage.models.salons import SALON_CANCELLED, SALON_DRAFT
from storage.salon_admin import update_salon
from storage.salons import get_salon
from storage.types import utcnow


async def set_guests_welcome(
    update: Update, context: Context, salon_id: int, welcome: bool
) -> None:
    """S:gy (welcome guests) and S:gn (members only again) on an upcoming salon or a draft."""
    _ = context.gettext(update)
    found = await managed_salon(update, context, salon_id)
    if found is None:
        return
    salon, community = found
    if salon.status == SALON_CANCELLED or salon.starts_at <= utcnow():
        await tell(update, _("This salon is cancelled or has started; it cannot be edited."))
        return
    async with context.db.begin() as session:
        if not await update_salon(salon.id, guests_welcome=welcome, session=session):
            await tell(update, _("This salon was cancelled meanwhile."))
            return
        salon = await get_salon(salon.id, session=session)
    link = join_link(context.bot.username, salon)
    if welcome and salon.status == SALON_DRAFT:
        head = _("Guests will be welcome once it is published. Its link to share outside the "
                 "group then: {link}").format(link=link)  # fmt: skip
    elif welcome:
        head = _("Guests are welcome. Share this link outside the group: {link}").format(link=link)
    else:
        head = _("Members only again. Guests who already signed up keep their seats.")
    language = context.language(update)
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        f"{head}\n\n{menu_text(salon, community, language)}",
        reply_markup=menu_markup(salon, language, past=False),
    )
