"""/stats and /export for organizers: figures, charts and CSV files, in a private chat."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.common.config import CommunityConfig
from bot.common.context import Context
from bot.common.roles import organizer_communities
from bot.outbox.pace import reply_in_chat
from bot.salons.access import NOT_ORGANIZER, NOT_YOURS, STALE_BUTTON, tell
from bot.salons.input import InputError
from bot.stats.exports import send_exports
from bot.stats.report import (
    DEFAULT_DAYS,
    community_buttons,
    parse_stats_args,
    send_community_stats,
    send_salon_stats,
)
from storage.salons import find_salon

# "T:s:<community>:<days>" (stats) and "T:x:<community>" (export): untrusted, checked here.
_SHAPES = {"s": 2, "x": 1}


async def stats_command(update: Update, context: Context) -> None:
    """/stats [days | community | salon]: the figures and charts (organizers only)."""
    _ = context.gettext(update)
    communities = await organizer_communities(context, update.effective_user.id)
    if not communities:
        await tell(update, _(NOT_ORGANIZER))
        return
    try:
        request = parse_stats_args(context.args or [], communities)
    except InputError as error:
        await tell(update, error.text(_))
        return
    chat, language = update.effective_chat, context.language(update)
    if request.salon_ref is not None:
        async with context.db.begin() as session:
            salon = await find_salon(
                request.salon_ref, session=session, community_ids=[c.chat_id for c in communities]
            )
        if salon is None:
            await tell(update, _(NOT_YOURS))
            return
        await send_salon_stats(chat, context, salon, language)
        return
    if request.community is None and len(communities) > 1:
        await tell(update, _("Which community?"), community_buttons(communities, "s", request.days))
        return
    community = request.community or communities[0]
    await send_community_stats(chat, context, community.chat_id, request.days, language)


async def export_command(update: Update, context: Context) -> None:
    """/export [community id]: CSV files of members, salons, signups and campaigns."""
    _ = context.gettext(update)
    communities = await organizer_communities(context, update.effective_user.id, fresh=True)
    if not communities:
        await tell(update, _(NOT_ORGANIZER))
        return
    args = context.args or []
    chosen = [c for c in communities if args and args[0] == str(c.chat_id)]
    if args and not chosen:
        await tell(
            update, _("Send /export, or /export followed by the id of a community you organize.")
        )
        return
    if not chosen and len(communities) > 1:
        await tell(update, _("Which community?"), community_buttons(communities, "x"))
        return
    await send_exports(update.effective_chat, context, (chosen or communities)[0].chat_id)


async def on_button(update: Update, context: Context) -> None:
    """T:s / T:x: the community chosen; re-checks that the presser organizes it."""
    _ = context.gettext(update)
    parsed = callbacks.parse(update.callback_query.data, callbacks.STATS)
    valid = parsed is not None and len(parsed.numbers) == _SHAPES.get(parsed.action)
    days = parsed.numbers[1] if valid and parsed.action == "s" else DEFAULT_DAYS
    if not valid or not 1 <= days <= 366:
        await tell(update, _(STALE_BUTTON))
        return
    fresh = parsed.action == "x"  # an export: ask Telegram whether an admin still is one
    community = await _organized(update, context, parsed.numbers[0], fresh=fresh)
    if community is None:
        return
    await update.callback_query.answer()
    chat = update.effective_chat
    if parsed.action == "x":
        await send_exports(chat, context, community.chat_id)
    else:
        await send_community_stats(chat, context, community.chat_id, days, context.language(update))


async def stats_deep_link(update: Update, context: Context, rest: str) -> None:
    """`/start stats_<community>`: the button under /stats in the group."""
    community = await _organized(
        update, context, int(rest) if re.fullmatch(r"-?\d{1,19}", rest) else 0
    )
    if community is not None:
        await send_community_stats(
            update.effective_chat,
            context,
            community.chat_id,
            DEFAULT_DAYS,
            context.language(update),
        )


async def _organized(
    update: Update, context: Context, chat_id: int, *, fresh: bool = False
) -> CommunityConfig | None:
    _ = context.gettext(update)
    communities = await organizer_communities(context, update.effective_user.id, fresh=fresh)
    found = [c for c in communities if c.chat_id == chat_id]
    if not found:
        await tell(update, _(NOT_ORGANIZER))
        return None
    return found[0]


async def group_stats(update: Update, context: Context) -> None:
    """/stats or /export in the group: organizers get a button to the private chat."""
    _ = context.gettext(update)
    chat_id = update.effective_chat.id
    communities = await organizer_communities(context, update.effective_user.id)
    if not any(c.chat_id == chat_id for c in communities):
        await reply_in_chat(update, context, _(NOT_ORGANIZER))
        return
    url = f"https://t.me/{context.bot.username}?start=stats_{chat_id}"
    button = InlineKeyboardButton(_("Open the figures in a private chat"), url=url)
    text = _("Figures are shown in a private chat, so the group stays quiet:")
    await reply_in_chat(update, context, text, InlineKeyboardMarkup([[button]]))
