"""What /stats sends: reading the arguments, the figures as text and charts, in one chat."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import TypeVar

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto

from bot import callbacks
from bot.campaigns.uplift import campaign_uplifts, with_uplift
from bot.common.config import CommunityConfig
from bot.common.context import Context
from bot.common.i18n import N_
from bot.salons.input import InputError
from bot.stats.texts import community_text, salon_text
from storage.models import Salon
from storage.stats import MAX_DAYS, get_community_stats
from storage.stats_salons import list_campaign_groups, list_salon_funnels

DEFAULT_DAYS = 30
USAGE = N_(
    "Send /stats for the last 30 days, /stats 7 or /stats 90 for another period (1 to 366 "
    "days), or /stats followed by a salon's code for that salon."
)
_DAYS_RE = re.compile(r"^(\d{1,3})d?$")
T = TypeVar("T")


@dataclass(frozen=True)
class StatsRequest:
    """What /stats was asked for: a period (and maybe a community), or one salon."""

    days: int = DEFAULT_DAYS
    community: CommunityConfig | None = None
    salon_ref: str | None = None


def parse_stats_args(args: list[str], communities: list[CommunityConfig]) -> StatsRequest:
    """`/stats [days] [community id or title] | /stats <salon code or id>` (InputError)."""
    joined = " ".join(args).strip().casefold()
    for community in communities:
        if joined and joined == community.title.casefold():
            return StatsRequest(community=community)
    days, community, salon_ref = None, None, None
    for arg in args:
        match = _DAYS_RE.match(arg)
        by_id = [c for c in communities if arg == str(c.chat_id)]
        if match and days is None:
            days = int(match.group(1))
            if not 1 <= days <= MAX_DAYS:
                raise InputError(N_("The period is 1 to {max} days, e.g. /stats 90."), max=MAX_DAYS)
        elif by_id and community is None:
            community = by_id[0]
        elif salon_ref is None and not match:
            salon_ref = arg
        else:
            raise InputError(USAGE)
    if salon_ref is not None and (days is not None or community is not None):
        raise InputError(USAGE)
    return StatsRequest(days or DEFAULT_DAYS, community, salon_ref)


def community_buttons(
    communities: list[CommunityConfig], action: str, days: int | None = None
) -> InlineKeyboardMarkup:
    """One button per community: `T:<action>:<chat id>[:<days>]`."""
    extra = (days,) if days is not None else ()
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    c.title, callback_data=callbacks.stats(action, c.chat_id, *extra)
                )
            ]
            for c in communities
        ]
    )


async def send_community_stats(
    chat: Chat, context: Context, community_id: int, days: int, language: str
) -> None:
    """The figures as one message, then the four charts as one album.

    The charts are drawn (in the chart processes, see bot/stats/chart_pool.py) while the text is
    being sent.
    """
    async with context.db.begin() as session:
        stats = await get_community_stats(
            community_id,
            session=session,
            days=days,
            stale_after_days=context.config.models.stale_after_days,
        )
    with_uplift(stats)
    charts = await _drawn_while_sending(
        context.bot_data.charts.community_charts(stats, language),
        chat.send_message(community_text(stats, language)),
    )
    await chat.send_media_group(
        [InputMediaPhoto(chart.png, filename=chart.name) for chart in charts]
    )


async def send_salon_stats(chat: Chat, context: Context, salon: Salon, language: str) -> None:
    """One salon's funnel, turnout and uplift, and its funnel chart."""
    async with context.db.begin() as session:
        funnels = await list_salon_funnels([salon], session=session)
        uplifts = campaign_uplifts(await list_campaign_groups(funnels, session=session))
    timezone = context.config.community(salon.community_id).timezone
    uplift = uplifts[0] if uplifts else None
    png = await _drawn_while_sending(
        context.bot_data.charts.funnel_chart(funnels[0], language),
        chat.send_message(salon_text(funnels[0], uplift, timezone, language)),
    )
    await chat.send_photo(png, filename="funnel.png")


async def _drawn_while_sending(drawing: Awaitable[T], sending: Awaitable) -> T:
    """The charts, drawn while the text is being sent (a failed send cancels them)."""
    task = asyncio.ensure_future(drawing)
    try:
        await sending
    except BaseException:
        task.cancel()
        raise
    return await task
