"""Telling people about a changed salon: members through the outbox (with the new .ics), the
group by editing its announcement."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.error import TelegramError

from bot.common.config import CommunityConfig
from bot.common.context import Context
from bot.common.i18n import N_, pick_language, translations
from bot.common.maps import map_url
from bot.salons.organizer_texts import announcement, cancelled_announcement, when_text
from bot.seats.calendar import ics_document
from storage.models import Salon
from storage.models.salons import SALON_CANCELLED, SALON_PUBLISHED
from storage.outbox import enqueue
from storage.salon_admin import Recipient

logger = logging.getLogger(__name__)

MOVED = N_(
    "⏰ The salon “{title}” has moved to a new time: {when}.\n"
    "If you can no longer come, please send /leave {code} so someone else can have your seat."
)
RELOCATED = N_(
    "📍 The salon “{title}” ({when}) has a new place: {place}.\n"
    "If you can no longer come, please send /leave {code} so someone else can have your seat."
)
CANCELLED = N_("❌ The salon “{title}” ({when}) has been cancelled. Sorry for the change of plans.")
CALENDAR_UPDATED = N_("📅 The attached calendar file updates the entry in your calendar.")
CALENDAR_REMOVED = N_("📅 The attached calendar file removes it from your calendar.")
MAX_CAPTION = 1024


def notice_caption(salon: Salon, community: CommunityConfig, template: str, language: str) -> str:
    """A change notice in `language`: what changed, a map link for a new place, the calendar."""
    _ = translations(language).gettext
    text = _(template).format(title=salon.title, when=when_text(salon, community, language),
                              code=salon.short_code, place=salon.location)  # fmt: skip
    url = map_url(salon.location, language, community.map_provider) if salon.location else None
    calendar = _(CALENDAR_REMOVED if salon.status == SALON_CANCELLED else CALENDAR_UPDATED)
    lines = [text, *([f"🗺 {url}"] if url and template == RELOCATED else []), "", calendar]
    caption = "\n".join(lines)
    if len(caption) > MAX_CAPTION:  # a long place's map link is the one thing to spare
        caption = f"{text}\n\n{calendar}"
    return caption[:MAX_CAPTION]


async def enqueue_notices(
    recipients: list[Recipient],
    salon: Salon,
    community: CommunityConfig,
    template: str,
    key: str,
    *,
    session: AsyncSession,
) -> int:
    """Queue one notice per signed-up member, in their language, with the salon's new .ics.

    The .ics is made again when the notice is sent (bot/outbox/render.py), so a member always
    gets the salon as it is then, with its latest SEQUENCE. Returns how many were queued.
    """
    queued = 0
    document = ics_document(salon, community_title=community.title)
    for person in recipients:
        language = pick_language(person.language_code, community.language)
        queued += await enqueue(
            f"salon:{salon.id}:{key}:{person.user_id}",
            session=session,
            kind="notice",
            chat_id=person.user_id,
            user_id=person.user_id,
            salon_id=salon.id,
            method="sendDocument",
            payload={
                "caption": notice_caption(salon, community, template, language),
                "document": document,
                "_render": {"type": "calendar"},
            },
            priority=1,
        )
    return queued


async def refresh_announcement(context: Context, salon: Salon, community: CommunityConfig) -> None:
    """Bring the group announcement in line with the salon; failures are only logged."""
    if salon.announcement_message_id is None:
        return
    if salon.status == SALON_CANCELLED:
        text, markup = cancelled_announcement(salon, community), None
    elif salon.status == SALON_PUBLISHED:
        text, markup = announcement(salon, community, context.bot.username)
    else:
        return
    try:
        await context.bot.edit_message_text(
            text,
            chat_id=community.chat_id,
            message_id=salon.announcement_message_id,
            reply_markup=markup,
        )
    except TelegramError as error:
        logger.warning("could not update the announcement of salon %s: %s", salon.id, error)
