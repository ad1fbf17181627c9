"""Who may see and take a seat at a salon: the community's current members (and guests where
the community or the salon welcomes them).

Membership comes from the group (joins, leaves, messages, `chat_member` updates, written by the
activity tracker); for someone the database does not know as a current member, or has not seen
for a while, Telegram is asked (`getChatMember`) and a "yes" is remembered. Every path that
shows salons or gives a seat (/events, /mysalons, /join, buttons, deep links, invitations,
waitlist claims, payments) goes through `may_attend` / `visible_salons`.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import ChatMember, Update
from telegram.error import TelegramError

from bot.common.context import Context
from bot.common.i18n import N_
from storage.memberships import Sighting, get_memberships, upsert_memberships
from storage.models import Salon
from storage.salons import get_salon
from storage.types import utcnow
from storage.users import UserInfo, add_users

logger = logging.getLogger(__name__)
# A membership not confirmed by the group for this long is asked about again.
RECHECK_AFTER = timedelta(days=7)
MEMBERS_ONLY = N_("This salon is for members of its community only.")
_IN = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER}


async def telegram_says_member(context: Context, community_id: int, user_id: int) -> bool:
    """getChatMember: is the person in the group now? (An API failure counts as no.)"""
    try:
        member = await context.bot.get_chat_member(community_id, user_id)
    except TelegramError as error:
        logger.warning("getChatMember failed for chat %s: %s", community_id, error)
        return False
    if member.status == ChatMember.RESTRICTED:
        return bool(getattr(member, "is_member", False))
    return member.status in _IN


async def member_communities(
    context: Context, user_id: int, community_ids: list[int] | None = None
) -> set[int]:
    """The configured communities (or those of `community_ids`) the person is a member of now."""
    wanted = [c.chat_id for c in context.config.communities]
    if community_ids is not None:
        wanted = [c for c in wanted if c in set(community_ids)]
    async with context.db.begin() as session:
        known = await get_memberships(user_id, session=session)
    now = utcnow()
    result: set[int] = set()
    confirmed: list[int] = []
    for community_id in wanted:
        state = known.get(community_id)
        if state and state.is_member and state.last_seen_at > now - RECHECK_AFTER:
            result.add(community_id)
        elif await telegram_says_member(context, community_id, user_id):
            result.add(community_id)
            confirmed.append(community_id)
    if confirmed:
        async with context.db.begin() as session:
            await add_users({user_id: UserInfo(user_id)}, session=session)
            await upsert_memberships(
                [Sighting(c, user_id, now, now) for c in confirmed], session=session
            )
    return result


def _open_to_guests(context: Context, salon: Salon) -> bool:
    community = context.config.community(salon.community_id)
    return salon.guests_welcome or bool(community and community.open_to_guests)


async def may_attend(context: Context, user_id: int, salon: Salon) -> bool:
    """Whether this person may see the salon and take a seat at it now."""
    if _open_to_guests(context, salon):
        return True
    return salon.community_id in await member_communities(context, user_id, [salon.community_id])


async def visible_salons(context: Context, user_id: int, salons: list[Salon]) -> list[Salon]:
    """The salons of the list this person may see (members, or guests where welcome)."""
    closed = sorted({s.community_id for s in salons if not _open_to_guests(context, s)})
    mine = await member_communities(context, user_id, closed) if closed else set()
    return [s for s in salons if _open_to_guests(context, s) or s.community_id in mine]


async def seat_allowed(update: Update, context: Context, salon_id: int | None) -> bool:
    """The one check every way to a seat makes: may this person attend this salon?

    On no, the person is told in one sentence (a pop-up for a button, a message otherwise).
    An unknown id passes: the signup itself answers "not found".
    """
    if salon_id is None:
        return True
    async with context.db.begin() as session:
        salon = await get_salon(salon_id, session=session)
    if salon is None or await may_attend(context, update.effective_user.id, salon):
        return True
    text = context.gettext(update)(MEMBERS_ONLY)
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    if update.effective_message is not None:
        await update.effective_message.reply_text(text)
    return False
