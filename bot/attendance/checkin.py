"""Attendees and check-in: the organizer's list and toggles, a member's /here, no-shows."""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot import callbacks
from bot.attendance.links import LINK_MINUTES, checkin_payload, verify_checkin
from bot.common.context import Context
from bot.common.formatting import local_time
from bot.salons.access import STALE_BUTTON, managed_salon, tell
from bot.salons.organizer_texts import MAX_MESSAGE
from storage.attendance import (
    CHECKIN_OPENS_BEFORE,
    CheckIn,
    check_in_at_salon,
    check_in_by_code,
    list_attendees,
    toggle_attended,
)
from storage.models.salons import GOING, HELD, OFFERED, SALON_CANCELLED, WAITLIST

logger = logging.getLogger(__name__)
PAGE = 30


# The S: actions on_button takes, with how many numbers each carries (app.py's pattern).
SHAPES = {"a": (1,), "k": (1, 2), "t": (3,)}


async def on_button(update: Update, context: Context) -> None:
    """S:a:<salon> (attendees), S:k:<salon>[:<page>] (check-in list; the salon card's button
    has no page), S:t:<salon>:<user>:<page>."""
    parsed = callbacks.parse(update.callback_query.data, callbacks.SALON)
    if parsed is None or len(parsed.numbers) not in SHAPES.get(parsed.action, ()):
        await tell(update, context.gettext(update)(STALE_BUTTON))
        return
    action, numbers = parsed.action, parsed.numbers
    if action == "a":
        await show_attendees(update, context, numbers[0])
    elif action == "k":
        await show_checkin(update, context, numbers[0], numbers[1] if len(numbers) > 1 else 0)
    else:
        await toggle(update, context, *numbers)


async def show_attendees(update: Update, context: Context, salon_id: int) -> None:
    """Who is going (✅ came), offered a seat, or waiting."""
    _ = context.gettext(update)
    found = await managed_salon(update, context, salon_id)
    if found is None:
        return
    salon, _community = found
    async with context.db.begin() as session:
        people = await list_attendees(salon.id, session=session)
    titles = {GOING: _("Going"), OFFERED: _("Offered a seat"), HELD: _("Paying"),
              WAITLIST: _("Waitlist")}  # fmt: skip
    lines = [salon.title]
    for status, title in titles.items():
        group = [p for p in people if p.status == status]
        if status == HELD and not group:
            continue  # only paid salons have members paying for a held seat
        lines += ["", f"{title} ({len(group)})"]
        marks = {True: "✅ ", False: "❌ ", None: ""} if status == GOING else {}
        lines += [f"{marks.get(p.attended, '')}{p.name}" for p in group]
    if not people:
        lines += ["", _("Nobody has signed up yet.")]
    text = "\n".join(lines)
    if len(text) > MAX_MESSAGE:
        text = text[: MAX_MESSAGE - 2] + "\n…"
    back = InlineKeyboardButton("« " + _("Back"), callback_data=callbacks.salon("m", salon.id))
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(text, reply_markup=InlineKeyboardMarkup([[back]]))


async def show_checkin(update: Update, context: Context, salon_id: int, page: int) -> None:
    """One toggle button per going member (✅ came / ⬜ not yet), a page at a time."""
    _ = context.gettext(update)
    found = await managed_salon(update, context, salon_id)
    if found is None:
        return
    salon, _community = found
    if salon.status == SALON_CANCELLED:
        await tell(update, _("This salon is cancelled."))
        return
    await update.callback_query.answer()
    text, markup = await _checkin_page(context, update, salon, page)
    await update.callback_query.edit_message_text(text, reply_markup=markup)


async def toggle(update: Update, context: Context, salon_id: int, user_id: int, page: int) -> None:
    """Flip one member's attendance and redraw the page."""
    _ = context.gettext(update)
    found = await managed_salon(update, context, salon_id)
    if found is None:
        return
    salon, _community = found
    if salon.status == SALON_CANCELLED:
        await tell(update, _("This salon is cancelled."))
        return
    async with context.db.begin() as session:
        attended = await toggle_attended(salon.id, user_id, session=session)
    if attended is None:
        await tell(update, _("That member is not signed up as going."))
        return
    await update.callback_query.answer("✅" if attended else "⬜")
    text, markup = await _checkin_page(context, update, salon, page)
    try:
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:  # two quick taps can leave nothing to change
        logger.info("check-in list not redrawn: %s", error)


async def _checkin_page(context: Context, update: Update, salon, page: int):
    _ = context.gettext(update)
    async with context.db.begin() as session:
        going = [p for p in await list_attendees(salon.id, session=session) if p.status == GOING]
    pages = max(1, -(-len(going) // PAGE))
    page = min(max(page, 0), pages - 1)
    rows = [
        [InlineKeyboardButton(f"{'✅' if p.attended else '⬜'} {p.name}"[:60],
                              callback_data=callbacks.salon("t", salon.id, p.user_id, page))]
        for p in going[page * PAGE : (page + 1) * PAGE]
    ]  # fmt: skip
    nav = []
    if page > 0:
        nav.append(
            InlineKeyboardButton("◀", callback_data=callbacks.salon("k", salon.id, page - 1))
        )
    if page < pages - 1:
        nav.append(
            InlineKeyboardButton("▶", callback_data=callbacks.salon("k", salon.id, page + 1))
        )
    rows += [nav] if nav else []
    rows.append(
        [InlineKeyboardButton("« " + _("Back"), callback_data=callbacks.salon("m", salon.id))]
    )
    came = sum(1 for p in going if p.attended)
    text = _("Check-in for “{title}”: {came} of {going} here. Tap a name to mark it.").format(
        title=salon.title, came=came, going=len(going)
    )
    if pages > 1:
        text += f" ({page + 1}/{pages})"
    link = f"https://t.me/{context.bot.username}?start="
    link += checkin_payload(context.config.telegram.token, salon.id)
    text += "\n" + _("Members check in with /here {code}, or with this link (show it as a QR "
                     "code at the venue; it works for {minutes} minutes): {link}").format(
        code=salon.checkin_code, link=link, minutes=LINK_MINUTES)  # fmt: skip
    return text, InlineKeyboardMarkup(rows)


async def here(update: Update, context: Context) -> None:
    """/here CODE: a member checks in at the salon they signed up for, during the event."""
    _ = context.gettext(update)
    if not context.args or len(context.args) != 1:
        await update.effective_message.reply_text(
            _("Send /here followed by the check-in code shown at the salon, e.g. /here K7QP.")
        )
        return
    async with context.db.begin() as session:
        outcome, salon = await check_in_by_code(
            update.effective_user.id, context.args[0], session=session
        )
    await _tell_checked_in(update, context, outcome, salon)


async def checkin_deep_link(update: Update, context: Context, rest: str) -> None:
    """`/start h_...`: the signed link (a QR code) the organizer shows at the venue."""
    salon_id = verify_checkin(context.config.telegram.token, rest)
    if salon_id is None:
        _ = context.gettext(update)
        await update.effective_message.reply_text(
            _("This check-in link has expired. Ask the organizer for the check-in code.")
        )
        return
    async with context.db.begin() as session:
        outcome, salon = await check_in_at_salon(update.effective_user.id, salon_id,
                                                 session=session)  # fmt: skip
    await _tell_checked_in(update, context, outcome, salon)


async def _tell_checked_in(update: Update, context: Context, outcome: CheckIn, salon) -> None:
    _ = context.gettext(update)
    language = context.language(update)
    community = context.config.community(salon.community_id) if salon else None
    when = ""
    if salon and community:
        opens = salon.starts_at - CHECKIN_OPENS_BEFORE
        when = local_time(opens, community.timezone, language)
    texts = {
        CheckIn.DONE: _("✅ You are checked in at “{title}”. Enjoy the salon!"),
        CheckIn.ALREADY: _("You are already checked in at “{title}”."),
        CheckIn.UNKNOWN_CODE: _("I do not know that code. Please check it with the organizer."),
        CheckIn.CANCELLED: _("“{title}” has been cancelled."),
        CheckIn.NOT_GOING: _("You are not signed up for “{title}”, so I cannot check you in."),
        CheckIn.TOO_EARLY: _("Check-in for “{title}” opens at {when}."),
        CheckIn.OVER: _("“{title}” is over; check-in has closed."),
    }
    title = salon.title if salon else ""
    await update.effective_message.reply_text(texts[outcome].format(title=title, when=when))
