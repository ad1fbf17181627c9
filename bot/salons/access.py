"""Who may manage which salon, and reading untrusted `S:` callback data."""

from __future__ import annotations

import re

from telegram import InlineKeyboardMarkup, Update

from bot.common.config import CommunityConfig
from bot.common.context import Context
from bot.common.i18n import N_
from bot.common.roles import organizer_communities
from storage.models import Salon
from storage.salons import get_managed_salon

# "S:<action>[:<integer>]*", nothing else: anything a client sends is checked here first.
_CALLBACK_RE = re.compile(r"^S:([A-Za-z]{1,8})((?::-?\d{1,19})*)$")
_MAX_ID = 2**63 - 1
NOT_ORGANIZER = N_("Only organizers of a community can do that.")
NOT_YOURS = N_("That salon does not exist, or you do not organize its community.")
STALE_BUTTON = N_("This button is no longer valid.")


def parse_callback(data: str | None) -> tuple[str, list[int]] | None:
    """('action', [numbers]) from 'S:action:1:2', or None for anything malformed."""
    match = _CALLBACK_RE.match(data or "")
    if match is None or len((data or "").encode()) > 64:
        return None
    numbers = [int(n) for n in match.group(2).split(":") if n]
    if any(abs(n) > _MAX_ID for n in numbers):
        return None
    return match.group(1), numbers


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
    communities = await organizer_communities(context, update.effective_user.id, fresh=fresh)
    if not communities:
        await tell(update, _(NOT_ORGANIZER))
        return None
    async with context.db.begin() as session:
        salon = await get_managed_salon(salon_id, [c.chat_id for c in communities], session=session)
    if salon is None:
        await tell(update, _(NOT_YOURS))
        return None
    return salon, context.config.community(salon.community_id)


async def stale_button(update: Update, context: Context) -> None:
    """Any `S:` button no other handler took: forged, malformed or from a finished dialogue."""
    await update.callback_query.answer(context.gettext(update)(STALE_BUTTON), show_alert=True)
