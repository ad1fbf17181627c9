"""Who may manage which salon; the answers organizers get to a refused or stale button."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.common.config import CommunityConfig
from bot.common.context import Context
from bot.common.i18n import N_
from bot.common.roles import organizer_communities
from storage.co_organizers import get_co_organized_salon
from storage.models import Salon
from storage.salons import get_managed_salon

NOT_ORGANIZER = N_("Only organizers of a community can do that.")
NOT_YOURS = N_("That salon does not exist, or you do not organize its community.")
STALE_BUTTON = N_("This button is no longer valid.")


async def tell(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None, *, alert: bool = True
) -> None:
    """Answer a button press with a pop-up, or a command with a message."""
    if update.callback_query is not None:
        await update.callback_query.answer(text[:200], show_alert=alert)
    else:
        await update.effective_message.reply_text(text, reply_markup=markup)


async def send(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """A new message in the chat of this update."""
    await update.effective_chat.send_message(text, reply_markup=markup)


async def managed_salon(
    update: Update, context: Context, salon_id: int, *, fresh: bool = False
) -> tuple[Salon, CommunityConfig] | None:
    """The salon and its community if this user organizes it; otherwise say why, return None.

    `fresh` (destructive actions) asks Telegram whether an admin still is one.
    """
    _ = context.gettext(update)
    user_id = update.effective_user.id
    communities = await organizer_communities(context, user_id, fresh=fresh)
    async with context.db.begin() as session:
        salon = None
        if communities:
            ids = [c.chat_id for c in communities]
            salon = await get_managed_salon(salon_id, ids, session=session)
        if salon is None:  # a co-organizer manages their salon, and only it
            salon = await get_co_organized_salon(salon_id, user_id, session=session)
    if salon is None:
        await tell(update, _(NOT_YOURS if communities else NOT_ORGANIZER))
        return None
    community = context.config.community(salon.community_id)
    if community is None:
        await tell(update, _(NOT_YOURS))
        return None
    return salon, community


async def stale_button(update: Update, context: Context) -> None:
    """Any `S:` button no other handler took: forged, malformed or from a finished dialogue."""
    await update.callback_query.answer(context.gettext(update)(STALE_BUTTON), show_alert=True)
