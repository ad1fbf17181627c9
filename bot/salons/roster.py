"""A salon's attendee list as a CSV file, from the salon's card (`O:csv:<salon>`).

Names and comments are the members' own words: a cell that a spreadsheet would read as a
formula (starting with = + - @, a tab or a carriage return) is sent with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io

from telegram import Update

from bot import callbacks
from bot.common.context import Context
from bot.common.i18n import N_, translations
from bot.salons.access import STALE_BUTTON, managed_salon, tell
from bot.seats.money import format_amount
from storage.models.payments import PAID
from storage.models.salons import DECLINED, GOING, HELD, LEFT, OFFERED, WAITLIST
from storage.roster import RosterRow, list_roster

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (N_("name"), N_("username"), N_("status"), N_("paid"), N_("checked in"),
           N_("rating"), N_("comment"))  # fmt: skip
REFUNDED, YES, NO = N_("refunded"), N_("yes"), N_("no")
STATUSES = {GOING: N_("going"), OFFERED: N_("offered a seat"), HELD: N_("paying"),
            WAITLIST: N_("waitlist"), LEFT: N_("left"), DECLINED: N_("declined")}  # fmt: skip


def safe_cell(value: object) -> object:
    """A value a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _paid(row: RosterRow, _) -> str:
    parts = []
    for status, amount, currency in row.payments:
        money = format_amount(amount, currency)
        parts.append(money if status == PAID else f"{money} ({_(REFUNDED)})")
    return "; ".join(parts)


def _yes_no(value: bool | None, _) -> str:
    return "" if value is None else _(YES if value else NO)


def roster_csv(rows: list[RosterRow], language: str) -> bytes:
    """UTF-8 CSV (with a byte-order mark, for spreadsheets and Chinese) in `language`."""
    _ = translations(language).gettext
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([_(c) for c in COLUMNS])
    for row in rows:
        cells = [row.name, row.username or "",
                 _(STATUSES[row.status]) if row.status in STATUSES else row.status,
                 _paid(row, _), _yes_no(row.checked_in, _),
                 "" if row.rating is None else row.rating, row.comment or ""]  # fmt: skip
        writer.writerow([safe_cell(c) for c in cells])
    return buffer.getvalue().encode("utf-8-sig")


async def send_roster(update: Update, context: Context, salon_id: int) -> None:
    """Send the organizer the salon's attendee list as a CSV file."""
    found = await managed_salon(update, context, salon_id)
    if found is None:
        return
    salon, _community = found
    async with context.db.begin() as session:
        rows = await list_roster(salon.id, session=session)
    _ = context.gettext(update)
    await update.callback_query.answer()
    await update.effective_chat.send_document(
        roster_csv(rows, context.language(update)),
        filename=f"attendees-{salon.short_code}.csv",
        caption=_("Attendee list of «{title}»: {count} rows.").format(
            title=salon.title, count=len(rows)
        ),
    )


async def on_button(update: Update, context: Context) -> None:
    """O:csv:<salon>: the attendee list as a CSV file."""
    numbers = callbacks.numbers_of(update.callback_query.data, callbacks.ORGANIZE, "csv", 1)
    if numbers is None:
        await tell(update, context.gettext(update)(STALE_BUTTON))
        return
    await send_roster(update, context, numbers[0])
