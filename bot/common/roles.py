"""Who is an organizer: configured ids plus the community chat's admins (cached).

The cache is dropped for a chat whenever a `chat_member` update says someone became or stopped
being an admin there, and destructive actions (cancel, discard, export) ask Telegram again
(`fresh=True`): a demoted admin loses those rights at once, not ten minutes later.
"""

from __future__ import annotations

import logging
import time

from telegram import ChatMember
from telegram.error import TelegramError

from bot.common.config import CommunityConfig
from bot.common.context import Context

logger = logging.getLogger(__name__)
ADMIN_CACHE_SECONDS = 600.0
FAILED_CACHE_SECONDS = 60.0


async def chat_admins(context: Context, chat_id: int) -> frozenset[int]:
    """The chat's administrators; on failure, none (so configured ids alone count)."""
    now = time.monotonic()
    cached = context.bot_data.admin_cache.get(chat_id)
    if cached and cached[0] > now:
        return cached[1]
    try:
        members = await context.bot.get_chat_administrators(chat_id)
    except TelegramError as error:
        logger.warning("getChatAdministrators failed for chat %s: %s", chat_id, error)
        admins, ttl = frozenset(), FAILED_CACHE_SECONDS
    else:
        admins = frozenset(m.user.id for m in members if not m.user.is_bot)
        ttl = ADMIN_CACHE_SECONDS
    context.bot_data.admin_cache[chat_id] = (now + ttl, admins)
    return admins


def forget_admins(context: Context, chat_id: int) -> None:
    """Drop the cached admins of a chat (its admins changed)."""
    context.bot_data.admin_cache.pop(chat_id, None)


async def still_admin(context: Context, chat_id: int, user_id: int) -> bool:
    """getChatMember now: is the user an admin of the chat? (A failure counts as no.)"""
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as error:
        logger.warning("getChatMember failed for chat %s: %s", chat_id, error)
        return False
    admin = member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)
    if not admin:
        forget_admins(context, chat_id)
    return admin


async def organizer_communities(
    context: Context, user_id: int, *, fresh: bool = False
) -> list[CommunityConfig]:
    """The communities this user organizes; `fresh` re-checks admins with Telegram."""
    result = []
    for community in context.config.communities:
        if (
            user_id in community.organizers
            or user_id in await chat_admins(context, community.chat_id)
            and (not fresh or await still_admin(context, community.chat_id, user_id))
        ):
            result.append(community)
    return result


async def is_organizer(context: Context, user_id: int, community_id: int | None = None) -> bool:
    """Whether the user organizes the given community (or any community)."""
    communities = await organizer_communities(context, user_id)
    return any(community_id in (None, c.chat_id) for c in communities)
