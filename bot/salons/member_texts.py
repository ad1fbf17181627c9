"""What members read about salons: details, keyboards and the messages the jobs queue."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.common.config import Config
from bot.common.formatting import local_time
from bot.common.i18n import pick_language, translations
from bot.common.maps import place_lines
from bot.seats.money import format_amount
from storage.models import Salon

BUTTON_TITLE_CHARS = 40
RATINGS = (1, 2, 3, 4, 5)


def community_zone(config: Config, salon: Salon) -> tuple[str, str]:
    """(timezone, default language) of the salon's community."""
    community = config.community(salon.community_id)
    return (community.timezone, community.language) if community else ("UTC", "en")


def member_language(config: Config, salon: Salon, language_code: str | None) -> str:
    """The language to write to a member in about this salon."""
    return pick_language(language_code, community_zone(config, salon)[1])


def place(config: Config, salon: Salon, language: str) -> list[str]:
    """The place line, and a map link under an address (the community's map provider)."""
    community = config.community(salon.community_id)
    return place_lines(salon.location, language, community.map_provider if community else "auto")


def when(config: Config, salon: Salon, language: str) -> str:
    """The salon's start in its community's timezone."""
    return local_time(salon.starts_at, community_zone(config, salon)[0], language)


def seats_text(salon: Salon, language: str, *, mine: bool = False) -> str:
    """'Seats left: 3', 'Full: waitlist open' or 'No seat limit'; `mine`: the reader has one."""
    _ = translations(language).gettext
    left = None if salon.capacity is None else max(salon.capacity - salon.going_count, 0)
    if mine:  # a member who just took the last seat is not told the salon is full
        if left is None:
            return _("One seat is yours")
        return _("One seat is yours; seats left for others: {count}").format(count=left)
    if left is None:
        return _("No seat limit")
    if left <= 0:
        return _("Full: you can join the waitlist")
    return _("Seats left: {count}").format(count=left)


def salon_details(config: Config, salon: Salon, language: str, *, mine: bool = False) -> str:
    """Title, local time, location and seats, one per line (`mine`: the reader has a seat)."""
    title = f"「{salon.title}」" if language == "zh" else f"«{salon.title}»"
    lines = [title, "🕒 " + when(config, salon, language), *place(config, salon, language)]
    lines.append("🪑 " + seats_text(salon, language, mine=mine))
    if salon.price_amount > 0:
        lines.append("💰 " + format_amount(salon.price_amount, salon.currency))
    return "\n".join(lines)


def short_title(salon: Salon) -> str:
    """The title cut to fit on a button."""
    title = salon.title
    return title if len(title) <= BUTTON_TITLE_CHARS else title[: BUTTON_TITLE_CHARS - 1] + "…"


def one_button(text: str, data: str) -> InlineKeyboardMarkup:
    """A keyboard with one callback button."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(text, callback_data=data)]])


def leave_keyboard(salon: Salon, language: str) -> InlineKeyboardMarkup:
    """The Leave button under a confirmation."""
    _ = translations(language).gettext
    return one_button(_("Leave this salon"), callbacks.leave(salon.id))


def reminder_payload(config: Config, salon: Salon, language: str, hours: float) -> dict:
    """sendMessage parameters for a reminder with a "can't come" button."""
    _ = translations(language).gettext
    text = _(
        "Reminder: «{title}» starts {time}.\nIf you can no longer come, tap the button below "
        "so someone on the waitlist gets your seat."
    ).format(title=salon.title, time=when(config, salon, language))
    if salon.location:
        text += "\n" + "\n".join(place(config, salon, language))
    keyboard = one_button(_("I can't come"), callbacks.leave(salon.id))
    return {"text": text, "reply_markup": keyboard.to_dict()}


def offer_payload(config: Config, salon: Salon, language: str, expires_at: datetime) -> dict:
    """sendMessage parameters offering a freed seat to the first in line."""
    _ = translations(language).gettext
    zone = community_zone(config, salon)[0]
    text = _(
        "Good news: a seat has freed up for «{title}» ({time}). Tap the button to take it; "
        "the offer is open until {deadline}, then the seat goes to the next person in line."
    ).format(
        title=salon.title,
        time=when(config, salon, language),
        deadline=local_time(expires_at, zone, language),
    )
    if salon.price_amount > 0:
        text += "\n💰 " + _("{price}, paid when you claim the seat.").format(
            price=format_amount(salon.price_amount, salon.currency)
        )
    return {
        "text": text,
        "reply_markup": one_button(_("Claim the seat"), callbacks.claim(salon.id)).to_dict(),
    }


def lapsed_payload(config: Config, salon: Salon, language: str) -> dict:
    """sendMessage parameters telling a member their seat offer lapsed."""
    _ = translations(language).gettext
    text = _(
        "The seat offered to you for «{title}» was not claimed in time, so it went to the next "
        "person in line. You can join again with /join {code}."
    ).format(title=salon.title, code=salon.short_code)
    return {"text": text}


def unpaid_payload(salon: Salon, language: str) -> dict:
    """sendMessage parameters telling a member their unpaid held seat was released."""
    _ = translations(language).gettext
    text = _(
        "The seat held for you at «{title}» was released because the payment did not arrive "
        "in time. You can try again with /join {code}."
    ).format(title=salon.title, code=salon.short_code)
    return {"text": text}


def feedback_payload(salon: Salon, language: str) -> dict:
    """sendPoll parameters: a non-anonymous 1-5 rating poll about the salon."""
    _ = translations(language).gettext
    question = _("How was «{title}»? Rate it from 1 (poor) to 5 (excellent).").format(
        title=salon.title
    )
    options = ["⭐" * r + f" {r}" for r in RATINGS]
    return {"question": question[:300], "options": options, "is_anonymous": False}
