"""/events for a member: their salons ranked (with the reason) or by date, and buttons."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.common.config import Config
from bot.common.i18n import translations
from bot.recommendations.service import Recommendation
from bot.recommendations.texts import reason_line
from bot.salons.member_texts import salon_details, short_title

MAX_LISTED = 15


def events_view(
    config: Config, items: Sequence[Recommendation], language: str, by_date: bool
) -> tuple[str, InlineKeyboardMarkup]:
    """/events: the salons (ranked for the member, or by date) with Join buttons and a
    button to switch order (`EV:d` by date, `EV:r` ranked)."""
    _ = translations(language).gettext
    shown = list(items)
    if by_date:
        shown.sort(key=lambda r: (r.salon.starts_at, r.salon.id))
    shown = shown[:MAX_LISTED]
    ranked = not by_date and len(shown) > 1
    blocks = [_("Upcoming salons, the best fit for you first:") if ranked
              else _("Upcoming salons:")]  # fmt: skip
    buttons = []
    for item in shown:
        salon = item.salon
        lines = [salon_details(config, salon, language)]
        if not by_date:
            lines.append("💡 " + reason_line(item.kind, item.detail, language))
        if item.signed_up:
            lines.append(_("✅ You signed up: /mysalons"))
        else:
            lines.append(f"/join {salon.short_code}")
            label = _("Join: {title}").format(title=short_title(salon))
            buttons.append([InlineKeyboardButton(label, callback_data=callbacks.join(salon.id))])
        blocks.append("\n".join(lines))
    if len(shown) > 1:
        switch = (
            (_("📅 By date"), callbacks.events("d"))
            if not by_date
            else (_("✨ Best fit first"), callbacks.events("r"))
        )
        buttons.append([InlineKeyboardButton(switch[0], callback_data=switch[1])])
    return "\n\n".join(blocks), InlineKeyboardMarkup(buttons)
