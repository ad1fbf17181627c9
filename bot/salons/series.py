"""Recurring salons: `/series`, its buttons, and the tick that makes occurrences ahead.

`/series <title> | <rule> | <capacity> [| <place>]` (rules: bot/salons/series_rules.py) makes a
series in the organizer's (first) community. Each occurrence is a salon of its own (seats,
signups, reminders, stats), published and announced in the group through the outbox, created
`schedule.series_days` ahead by `series_job` (idempotent: the series row is locked, starts that
exist are skipped). One occurrence is edited or cancelled from /salons like any salon; the
whole series with `/series <id> place|capacity|title <value>` (its future occurrences too;
members of a moved place are told, with the new .ics); `O:ss:<id>` stops the series.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.common.config import Config
from bot.common.context import Context
from bot.common.formatting import local_time
from bot.common.i18n import N_
from bot.common.roles import organizer_communities
from bot.salons.access import NOT_ORGANIZER, NOT_YOURS, STALE_BUTTON, tell
from bot.salons.changes import RELOCATED, enqueue_notices
from bot.salons.input import MAX_LOCATION, InputError, parse_capacity, parse_text, parse_title
from bot.salons.organizer_texts import announcement
from bot.salons.series_rules import RuleError, describe, occurrences, parse_rule
from storage.models import SalonSeries
from storage.models.series import SERIES_ACTIVE
from storage.outbox import enqueue
from storage.salon_admin import list_salon_recipients, update_salon
from storage.series import (
    add_occurrences,
    add_series,
    get_series,
    list_active_series_ids,
    list_future_occurrences,
    list_series,
    lock_series,
    stop_series,
)
from storage.types import utcnow

logger = logging.getLogger(__name__)
USAGE = N_(
    "Recurring salons: /series <title> | <rule> | <seats> [| <place>], for example\n"
    "/series Book club | every 2nd Saturday 14:00 | 20 | Café Lumen\n"
    "/series 读书会 | 每周三 19:30 | 20 | 静安区愚园路 68 号\n"
    "The whole series: /series <id> place|capacity|title <new value>."
)
_EDIT_RE = re.compile(r"^(\d{1,18})\s+(place|capacity|title)\s+(.+)$", re.DOTALL)


async def make_occurrences(
    session: AsyncSession, config: Config, series: SalonSeries, bot_username: str, now: datetime
) -> int:
    """Create the series' missing occurrences in the window and queue their announcements."""
    community = config.community(series.community_id)
    if community is None or series.status != SERIES_ACTIVE:
        return 0
    until = now + timedelta(days=config.schedule.series_days)
    starts = occurrences(series.rule, series.local_time, community.timezone, now, until)
    created = await add_occurrences(series, starts, session=session)
    for salon in created:
        text, markup = announcement(salon, community, bot_username)
        await enqueue(f"announce:{salon.id}", session=session, kind="announcement",
                      chat_id=community.chat_id, salon_id=salon.id,
                      payload={"text": text, "reply_markup": markup.to_dict()})  # fmt: skip
    return len(created)


async def extend_series(db: async_sessionmaker, config: Config, bot_username: str) -> int:
    """The tick: every active series gets its occurrences within the window."""
    async with db.begin() as session:
        ids = await list_active_series_ids(session=session)
    made = 0
    for series_id in ids:
        async with db.begin() as session:
            series = await lock_series(series_id, session=session)
            if series is not None:
                made += await make_occurrences(session, config, series, bot_username, utcnow())
    return made


def _stop_button(series: SalonSeries, _) -> InlineKeyboardButton:
    return InlineKeyboardButton("⏹ " + _("Stop series #{id}").format(id=series.id),
                                callback_data=callbacks.organize("ss", series.id))  # fmt: skip


async def series_command(update: Update, context: Context) -> None:
    """/series: list, create, or edit the whole of a series."""
    _ = context.gettext(update)
    communities = await organizer_communities(context, update.effective_user.id)
    if not communities:
        await tell(update, _(NOT_ORGANIZER))
        return
    argument = (update.effective_message.text or "").partition(" ")[2].strip()
    if not argument:
        await _list(update, context, communities)
    elif match := _EDIT_RE.match(argument):
        await _edit_all(update, context, communities, int(match.group(1)), match.group(2),
                        match.group(3).strip())  # fmt: skip
    else:
        await _create(update, context, communities[0], argument)


async def _list(update: Update, context: Context, communities) -> None:
    _ = context.gettext(update)
    language = context.language(update)
    async with context.db.begin() as session:
        found = await list_series([c.chat_id for c in communities], session=session)
    lines = [f"#{s.id} {s.title} · {describe(s.rule, s.local_time, language)}" for s in found]
    text = "\n".join([_("Your recurring salons:"), *lines]) if lines else _(USAGE)
    markup = InlineKeyboardMarkup([[_stop_button(s, _)] for s in found]) if found else None
    await update.effective_message.reply_text(text, reply_markup=markup)


async def _create(update: Update, context: Context, community, argument: str) -> None:
    _ = context.gettext(update)
    parts = [p.strip() for p in re.split(r"[|｜]", argument)]
    try:
        if len(parts) not in (3, 4):
            raise InputError(USAGE)
        title, (rule, clock) = parse_title(parts[0]), parse_rule(parts[1])
        capacity = parse_capacity(parts[2])
        place = parse_text(parts[3], MAX_LOCATION) if len(parts) == 4 else ""
    except RuleError:
        await update.effective_message.reply_text(
            _("I do not understand the rule “{rule}”.").format(rule=parts[1]) + "\n\n" + _(USAGE)
        )
        return
    except InputError as error:
        await update.effective_message.reply_text(error.text(_))
        return
    language = context.language(update)
    async with context.db.begin() as session:
        series = await add_series(
            SalonSeries(community_id=community.chat_id, rule=rule, local_time=clock, title=title,
                        location=place, capacity=capacity, created_by=update.effective_user.id),
            session=session,
        )  # fmt: skip
        await make_occurrences(session, context.config, series, context.bot.username, utcnow())
        upcoming = await list_future_occurrences(series.id, session=session)
    dates = ", ".join(local_time(s.starts_at, community.timezone, language) for s in upcoming)
    text = _("Series #{id} «{title}» ({rule}) in {community}: {count} salons published and "
             "announced so far ({dates}); the next ones follow {days:g} days ahead. Each is "
             "managed in /salons like any salon.").format(
        id=series.id, title=title, rule=describe(rule, clock, language),
        community=community.title, count=len(upcoming), dates=dates,
        days=context.config.schedule.series_days)  # fmt: skip
    await update.effective_message.reply_text(
        text, reply_markup=InlineKeyboardMarkup([[_stop_button(series, _)]])
    )


async def _owned(update: Update, context: Context, communities, series_id: int):
    async with context.db.begin() as session:
        series = await get_series(series_id, session=session)
    if series is None or series.community_id not in {c.chat_id for c in communities}:
        await tell(update, context.gettext(update)(NOT_YOURS))
        return None
    return series


async def _edit_all(update, context, communities, series_id: int, field: str, value: str):
    """A new place, capacity or title for the series and its future occurrences."""
    _ = context.gettext(update)
    series = await _owned(update, context, communities, series_id)
    if series is None:
        return
    try:
        column, new = {
            "place": lambda: ("location", parse_text(value, MAX_LOCATION)),
            "capacity": lambda: ("capacity", parse_capacity(value)),
            "title": lambda: ("title", parse_title(value)),
        }[field]()
    except InputError as error:
        await update.effective_message.reply_text(error.text(_))
        return
    community = context.config.community(series.community_id)
    changed = told = 0
    async with context.db.begin() as session:
        series = await lock_series(series.id, session=session)
        setattr(series, column, new)
        for salon in await list_future_occurrences(series.id, session=session):
            if column == "capacity" and new < salon.going_count:
                continue  # seats already taken stay: that one keeps its capacity
            if getattr(salon, column) == new:
                continue
            await update_salon(salon.id, session=session, **{column: new})
            changed += 1
            if column == "location":
                await session.refresh(salon)
                people = await list_salon_recipients(salon.id, session=session)
                key = f"place:{salon.sequence}"
                told += await enqueue_notices(people, salon, community, RELOCATED, key,
                                              session=session)  # fmt: skip
    await update.effective_message.reply_text(
        _(
            "Series #{id}: {count} upcoming salons changed; {told} signed-up members will be told."
        ).format(id=series.id, count=changed, told=told)  # fmt: skip
    )


async def on_button(update: Update, context: Context) -> None:
    """O:ss:<series>: stop the series (its salons already made stay)."""
    _ = context.gettext(update)
    numbers = callbacks.numbers_of(update.callback_query.data, callbacks.ORGANIZE, "ss", 1)
    if numbers is None:
        await tell(update, _(STALE_BUTTON))
        return
    communities = await organizer_communities(context, update.effective_user.id)
    if not communities:
        await tell(update, _(NOT_ORGANIZER))
        return
    series = await _owned(update, context, communities, numbers[0])
    if series is None:
        return
    async with context.db.begin() as session:
        stopped = await stop_series(series.id, session=session)
        left = len(await list_future_occurrences(series.id, session=session))
    await update.callback_query.answer()
    text = (
        _(
            "Series #{id} stopped: no new salons. The {count} already announced stay; cancel "
            "them in /salons if needed."
        )
        if stopped
        else _("Series #{id} was already stopped.")
    )
    await update.effective_chat.send_message(text.format(id=series.id, count=left))
