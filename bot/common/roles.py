"""Who is an organizer: configured ids plus the community chat's admins.

The admins Telegram names (`getChatAdministrators`) are kept in the database for ten minutes
(storage/admins.py), shared by every process. Whichever process sees a `chat_member` update
saying someone became or stopped being an admin drops the list for all of them, and
destructive actions (cancel, discard, export) ask Telegram again (`fresh=True`): a demoted
admin loses organizer rights at once, on every process. A list asked for before such a
change is not stored (it may be out of date). When Telegram fails to answer, only the process
that asked goes without admins for a minute; while the database is away, each process falls
back to its own copy.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from telegram import ChatMember
from telegram.error import TelegramError

from bot.common.config import CommunityConfig
from bot.common.context import Context
from storage.admins import drop_admins, get_admins, upsert_admins
from storage.db import database_unavailable
from storage.types import utcnow

logger = logging.getLogger(__name__)
ADMIN_CACHE_SECONDS = 600.0
FAILED_CACHE_SECONDS = 60.0


async def chat_admins(context: Context, chat_id: int) -> frozenset[int]:
    """The chat's administrators; on failure, none (so configured ids alone count)."""
    try:
        async with context.db.begin() as session:
            stored = await get_admins(chat_id, utcnow(), session=session)
    except Exception as error:
        if not database_unavailable(error):
            raise
        return await _local_admins(context, chat_id)
    if stored is not None:
        return stored
    failures = context.bot_data.admin_failures
    if failures.get(chat_id, 0.0) > time.monotonic():
        return frozenset()  # Telegram failed a moment ago: not asked again yet
    asked_at = utcnow()
    admins, ttl = await _ask_telegram(context, chat_id)
    if ttl == FAILED_CACHE_SECONDS:  # this process's trouble; the others keep their lists
        failures[chat_id] = time.monotonic() + ttl
        return admins
    try:
        async with context.db.begin() as session:
            await upsert_admins(chat_id, admins, asked_at=asked_at, session=session,
                                expires_at=asked_at + timedelta(seconds=ttl))  # fmt: skip
    except Exception as error:
        if not database_unavailable(error):
            raise
    return admins


async def _ask_telegram(context: Context, chat_id: int) -> tuple[frozenset[int], float]:
    """getChatAdministrators: the admins and how long to trust the answer."""
    try:
        members = await context.bot.get_chat_administrators(chat_id)
    except TelegramError as error:
        logger.warning("getChatAdministrators failed for chat %s: %s", chat_id, error)
        return frozenset(), FAILED_CACHE_SECONDS
    return frozenset(m.user.id for m in members if not m.user.is_bot), ADMIN_CACHE_SECONDS


async def _local_admins(context: Context, chat_id: int) -> frozenset[int]:
    """The database is away: this process's own copy (asked for anew after it expires)."""
    now = time.monotonic()
    cached = context.bot_data.admin_cache.get(chat_id)
    if cached and cached[0] > now:
        return cached[1]
    admins, ttl = await _ask_telegram(context, chat_id)
    context.bot_data.admin_cache[chat_id] = (now + ttl, admins)
    return admins


async def forget_admins(context: Context, chat_id: int) -> None:
    """The chat's admins changed: drop its list for every process (asked for again), and
    refuse a list another process is asking for right now (it may be out of date)."""
    context.bot_data.admin_cache.pop(chat_id, None)
    context.bot_data.admin_failures.pop(chat_id, None)
    try:
        async with context.db.begin() as session:
            await drop_admins(chat_id, utcnow(), session=session)
    except Exception as error:
        if not database_unavailable(error):
            raise
        logger.warning("could not drop the admins of chat %s: %s", chat_id, error)


async def still_admin(context: Context, chat_id: int, user_id: int) -> bool:
    """getChatMember now: is the user an admin of the chat? (A failure counts as no.)"""
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as error:
        logger.warning("getChatMember failed for chat %s: %s", chat_id, error)
        return False
    admin = member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)
    if not admin:
        await forget_admins(context, chat_id)
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
