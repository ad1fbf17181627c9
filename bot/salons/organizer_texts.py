"""How a salon reads in an announcement, a preview or the organizer's menu."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.common.config import CommunityConfig
from bot.common.formatting import local_time
from bot.common.i18n import translations
from bot.common.labels import tag_label
from bot.common.maps import place_lines
from bot.seats.money import format_amount
from storage.models import Salon
from storage.models.salons import SALON_CANCELLED, SALON_DRAFT
from storage.types import split_tags

JOIN_PREFIX = "j"
MAX_MESSAGE = 4096


def join_link(bot_username: str, salon: Salon) -> str:
    """The deep link that opens the bot and joins the salon."""
    return f"https://t.me/{bot_username}?start={JOIN_PREFIX}_{salon.short_code}"


def when_text(salon: Salon, community: CommunityConfig, language: str) -> str:
    """Start (and end time, if set) in the community's timezone."""
    start = local_time(salon.starts_at, community.timezone, language)
    if salon.ends_at is None:
        return start
    end = salon.ends_at.astimezone(ZoneInfo(community.timezone))
    return f"{start} – {end:%H:%M}"


def salon_details(salon: Salon, community: CommunityConfig, language: str) -> str:
    """Title, time, place, seats, tags, deadline and description, one per line."""
    _ = translations(language).gettext
    lines = [salon.title, f"🕒 {when_text(salon, community, language)}"]
    lines += place_lines(salon.location, language, community.map_provider)
    if salon.capacity:
        lines.append("👥 " + _("{going}/{capacity} seats taken").format(
            going=salon.going_count, capacity=salon.capacity))  # fmt: skip
    else:
        lines.append("👥 " + _("No seat limit"))
    if salon.price_amount > 0:
        lines.append("💰 " + format_amount(salon.price_amount, salon.currency))
    if salon.tags:
        lines.append("🏷 " + " ".join(f"#{tag_label(t, _)}" for t in split_tags(salon.tags)))
    if salon.signup_deadline:
        deadline = local_time(salon.signup_deadline, community.timezone, language)
        lines.append("⏳ " + _("Sign up by {deadline}").format(deadline=deadline))
    if salon.description:
        lines += ["", salon.description]
    return "\n".join(lines)


def announcement(
    salon: Salon, community: CommunityConfig, bot_username: str
) -> tuple[str, InlineKeyboardMarkup]:
    """The group announcement (in the community's language) with its Join button."""
    language = community.language
    _ = translations(language).gettext
    text = "\n".join([
        "📣 " + _("New salon!"),
        "",
        salon_details(salon, community, language),
        "",
        _("Tap Join, or send /join {code} to me in a private chat.").format(
            code=salon.short_code),
    ])  # fmt: skip
    button = InlineKeyboardButton("🙋 " + _("Join"), url=join_link(bot_username, salon))
    return text[:MAX_MESSAGE], InlineKeyboardMarkup([[button]])


def cancelled_announcement(salon: Salon, community: CommunityConfig) -> str:
    """What the announcement becomes once the salon is cancelled."""
    _ = translations(community.language).gettext
    details = salon_details(salon, community, community.language)
    return ("❌ " + _("Cancelled") + "\n\n" + details)[:MAX_MESSAGE]


def status_mark(salon: Salon, language: str) -> str:
    """A short marker for drafts and cancelled salons in the organizer's list."""
    _ = translations(language).gettext
    if salon.status == SALON_DRAFT:
        return "📝 " + _("draft")
    if salon.status == SALON_CANCELLED:
        return "❌ " + _("cancelled")
    return ""


def codes_line(salon: Salon, language: str) -> str:
    """The join and check-in codes, for organizers."""
    _ = translations(language).gettext
    return _("Short code: {code} (members send /join {code}) · check-in code: {checkin}").format(
        code=salon.short_code, checkin=salon.checkin_code
    )


def preview_text(salon: Salon, community: CommunityConfig, language: str, bot_username: str) -> str:
    """The organizer's preview: the announcement exactly as the group will see it."""
    _ = translations(language).gettext
    text, _markup = announcement(salon, community, bot_username)
    head = _("Preview of the announcement for {community}:").format(community=community.title)
    tail = codes_line(salon, language) + "\n" + _("Publish it now?")
    return f"{head}\n\n{text}\n\n{tail}"[:MAX_MESSAGE]


def preview_markup(salon: Salon, language: str) -> InlineKeyboardMarkup:
    """Publish / Discard buttons of a draft."""
    _ = translations(language).gettext
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("✅ " + _("Publish"), callback_data=callbacks.salon("pub", salon.id)),
        InlineKeyboardButton("🗑 " + _("Discard"), callback_data=callbacks.salon("drop", salon.id)),
    ]])  # fmt: skip


def menu_text(salon: Salon, community: CommunityConfig, language: str) -> str:
    """The organizer's card of one salon: status, details and codes."""
    mark = status_mark(salon, language)
    details = salon_details(salon, community, language)
    lines = [f"{mark} · {community.title}" if mark else community.title, "", details, ""]
    lines += [access_line(salon, community, language), codes_line(salon, language)]
    return "\n".join(lines)[:MAX_MESSAGE]


def access_line(salon: Salon, community: CommunityConfig, language: str) -> str:
    """Who may see and join the salon: its community's members, or guests too."""
    _ = translations(language).gettext
    if salon.guests_welcome:
        return "🌐 " + _("Guests welcome: anyone with its link or code may see it and join.")
    if community.open_to_guests:
        return "🌐 " + _("The community is open to guests: anyone may see and join its salons.")
    return "🔒 " + _("Members of {community} only.").format(community=community.title)


def menu_markup(salon: Salon, language: str, *, past: bool) -> InlineKeyboardMarkup:
    """What an organizer may do with this salon now."""
    _ = translations(language).gettext
    sid = salon.id

    def button(label: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=f"S:{action}:{sid}")

    edits = [
        [button("🕒 " + _("Edit time"), "et"), button("✏️ " + _("Edit title"), "en")],
        [button("📍 " + _("Edit location"), "el"), button("👥 " + _("Edit capacity"), "ec")],
        [button("💰 " + _("Edit price"), "ep")],
    ]
    people = [button("📋 " + _("Attendees"), "a"), button("✅ " + _("Check in"), "k")]
    # The attendees' CSV and "Message attendees" (bot/salons/roster.py, broadcast.py).
    csv_button = InlineKeyboardButton(
        "📄 " + _("Attendee list (CSV)"), callback_data=callbacks.organize("csv", sid)
    )
    message = InlineKeyboardButton(
        "✉️ " + _("Message attendees"), callback_data=callbacks.organize("msg", sid)
    )
    co = [
        InlineKeyboardButton(
            "🤝 " + _("Co-organizers"), callback_data=callbacks.organize("co", sid)
        ),
        button("🔒 " + _("Members only"), "gn")
        if salon.guests_welcome
        else button("🌐 " + _("Welcome guests"), "gy"),
    ]
    rows: list[list[InlineKeyboardButton]] = []
    if salon.status == SALON_DRAFT:
        rows = [*preview_markup(salon, language).inline_keyboard, *edits, co]
    elif salon.status == SALON_CANCELLED:
        rows = [people[:1], [csv_button]]
    elif past:
        rows = [people, [csv_button, message]]
    else:
        rows = [*edits, people, [csv_button, message], co,
                [button("❌ " + _("Cancel salon"), "x")]]  # fmt: skip
    rows.append(
        [InlineKeyboardButton("« " + _("All my salons"), callback_data=callbacks.salon("l"))]
    )
    return InlineKeyboardMarkup(rows)
