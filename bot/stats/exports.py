"""/export: CSV files of a community's members, salons, signups, campaigns and payments."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from telegram import Chat

from bot.campaigns.uplift import uplift_verdict
from bot.common.context import Context
from recommender.selection import uplift_interval
from storage.exports import (
    CAMPAIGN_COLUMNS,
    MEMBER_COLUMNS,
    PAYMENT_COLUMNS,
    SALON_COLUMNS,
    SIGNUP_COLUMNS,
    list_campaign_rows,
    list_member_rows,
    list_payment_rows,
    list_salon_rows,
    list_signup_rows,
)

# A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: object) -> object:
    """A value safe to open in a spreadsheet: text that could be a formula gets a leading '.

    Member names, titles and comments are written by members, so `=HYPERLINK(...)` is text.
    """
    if value is None:
        return ""
    if not isinstance(value, str):
        return value
    if value.startswith(FORMULA_STARTS):
        value = "'" + value
    # A bare CR is no line end to the writer (it would not quote it) but is to spreadsheets.
    return value.replace("\r\n", "\n").replace("\r", "\n")


def csv_bytes(columns: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 CSV with a byte-order mark (so spreadsheet apps read Chinese correctly)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([cell(value) for value in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def with_uplift(row: tuple) -> tuple:
    """A campaign row (ending with its four group counts) with its rates, uplift and verdict."""
    invited, invited_signups, holdout, holdout_signups = row[-4:]
    u = uplift_interval(invited_signups, invited, holdout_signups, holdout)
    return (*row, u.rate_invited, u.rate_holdout, u.uplift, u.low, u.high, uplift_verdict(u))


async def export_files(context: Context, community_id: int) -> list[tuple[str, bytes]]:
    """(file name, CSV bytes) of the five exports, read in one transaction."""
    async with context.db.begin() as session:
        members = await list_member_rows(community_id, session=session)
        salons = await list_salon_rows(community_id, session=session)
        signups = await list_signup_rows(community_id, session=session)
        campaigns = [
            with_uplift(row) for row in await list_campaign_rows(community_id, session=session)
        ]
        payments = await list_payment_rows(community_id, session=session)
    return [
        ("members.csv", csv_bytes(MEMBER_COLUMNS, members)),
        ("salons.csv", csv_bytes(SALON_COLUMNS, salons)),
        ("signups.csv", csv_bytes(SIGNUP_COLUMNS, signups)),
        ("campaigns.csv", csv_bytes(CAMPAIGN_COLUMNS, campaigns)),
        ("payments.csv", csv_bytes(PAYMENT_COLUMNS, payments)),
    ]


async def send_exports(chat: Chat, context: Context, community_id: int) -> None:
    """Send the five CSV files as documents."""
    for name, data in await export_files(context, community_id):
        await chat.send_document(data, filename=name)
