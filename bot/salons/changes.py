"""Telling people about a changed salon: members through the outbox, the group by an edit."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.error import TelegramError

from bot.common.config import CommunityConfig
from bot.common.context import Context
from bot.common.i18n import N_, pick_language, translations
from bot.salons.organizer_texts import announcement, cancelled_announcement, when_text
from storage.models import Salon
from storage.models.salons import SALON_CANCELLED, SALON_PUBLISHED
from storage.outbox import enqueue
from storage.salon_admin import Recipient

logger = logging.getLogger(__name__)

MOVED = N_(
    "⏰ The salon “{title}” has moved to a new time: {when}.\n"
    "If you can no longer come, please send /leave {code} so someone else can have your seat."
)
CANCELLED = N_("❌ The salon “{title}” ({when}) has been cancelled. Sorry for the change of plans.")


async def enqueue_notices(
    recipients: list[Recipient],
    salon: Salon,
    community: CommunityConfig,
    template: str,
    key: str,
    *,
    session: AsyncSession,
) -> int:
    """Queue one notice per signed-up member, each in their language; returns how many."""
    queued = 0
    for person in recipients:
        language = pick_language(person.language_code, community.language)
        text = (
            translations(language)
            .gettext(template)
            .format(
                title=salon.title, when=when_text(salon, community, language), code=salon.short_code
            )
        )
        queued += await enqueue(
            f"salon:{salon.id}:{key}:{person.user_id}",
            session=session,
            kind="notice",
            chat_id=person.user_id,
            user_id=person.user_id,
            salon_id=salon.id,
            payload={"text": text},
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
