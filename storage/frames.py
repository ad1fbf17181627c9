"""SQL results as the DataFrames the recommender takes (ids int64, times tz-aware UTC)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, select, true, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType

from storage.models import DM_REACHABLE, GroupMessage, Membership, User
from storage.models.activity import COUNTERS, HOURS, activity_daily

ROLLUP_COLUMNS = ["community_id", "user_id", "day", *COUNTERS, *HOURS]
MEMBER_COLUMNS = ["community_id", "user_id", "joined_at", "reachable", "invite_opt_out"]
TEXT_COLUMNS = ["community_id", "user_id", "sent_at", "text"]


def in_communities(column, community_id: int | Sequence[int] | None):
    """A WHERE condition: one community, several, or (None) every community."""
    if community_id is None:
        return true()
    if isinstance(community_id, int):
        return column == community_id
    return column.in_(list(community_id))


def _opted_out():
    """The ids of members who stopped tracking (a subquery)."""
    return select(User.id).where(User.tracking_opt_out.is_(True))


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True)


def raw(column):
    """A column read as the driver returns it (no per-value conversion in Python).

    For large frames: timestamps then come as text on SQLite and datetimes on PostgreSQL,
    booleans as 0/1 or bool; utc_column and float_column convert whole columns at once.
    """
    return type_coerce(column, NullType())


ID_BATCH = 20_000  # ids per IN (...) list


def among(column, ids: Sequence[int]):
    """`column IN (ids)` with the (integer) ids written into the SQL: no bound parameter per
    id, so a list of thousands costs neither a parameter limit nor per-value processing."""
    return column.in_(bindparam(f"ids_{column.key}", [int(i) for i in ids], expanding=True,
                                literal_execute=True))  # fmt: skip


async def rows_of(query, user_column, user_ids: Sequence[int] | None, *, session: AsyncSession):
    """All rows of `query`, or (with user_ids) of those members, read in batches of ids."""
    if user_ids is None:
        return (await session.execute(query)).all()
    ids = np.unique(np.asarray(user_ids, dtype=np.int64)).tolist()
    rows = []
    for lo in range(0, len(ids), ID_BATCH):
        part = query.where(among(user_column, ids[lo : lo + ID_BATCH]))
        rows.extend((await session.execute(part)).all())
    return rows


def table_of(rows: Sequence, width: int) -> np.ndarray:
    """Result rows as a 2-D object array (much faster than building a DataFrame from rows).

    Rows become plain tuples first: numpy reads SQLAlchemy Row objects an item at a time.
    """
    out = np.empty((len(rows), width), dtype=object)
    if len(rows):
        out[:] = [tuple(row) for row in rows]
    return out


def utc_column(values: np.ndarray) -> pd.Series:
    """Stored UTC timestamps (text, naive or aware datetimes, None) as datetime64[ns, UTC]."""
    series = pd.Series(values, dtype=object)
    first = series.first_valid_index()
    text = first is not None and isinstance(series[first], str)
    parsed = pd.to_datetime(series, utc=True, format="ISO8601" if text else None)
    return parsed.astype("datetime64[ns, UTC]")


def float_column(values: np.ndarray) -> np.ndarray:
    """Numbers, booleans or None as float64 (None -> NaN)."""
    return pd.Series(values, dtype=object).astype("float64").to_numpy()


async def rollups_frame(
    community_id: int | Sequence[int] | None, *, session: AsyncSession
) -> pd.DataFrame:
    """ROLLUPS: one row per member and UTC day; `day` is UTC midnight, counters int64.

    Members who stopped tracking are left out (their rows stay until they delete them).
    """
    query = (
        select(*(activity_daily.c[name] for name in ROLLUP_COLUMNS))
        .where(
            in_communities(activity_daily.c.community_id, community_id),
            activity_daily.c.user_id.not_in(_opted_out()),
        )
        .order_by(activity_daily.c.user_id, activity_daily.c.day)
    )
    rows = (await session.execute(query)).all()
    frame = pd.DataFrame(rows, columns=ROLLUP_COLUMNS)
    frame["day"] = _utc(pd.to_datetime(frame["day"]))
    counts = [c for c in ROLLUP_COLUMNS if c != "day"]
    return frame.astype(dict.fromkeys(counts, "int64"))


async def members_frame(
    community_id: int | Sequence[int] | None, *, session: AsyncSession
) -> pd.DataFrame:
    """Current human members: when they joined (NaT if unknown), DM-reachable, opted out.

    Members who stopped tracking are left out: the models neither learn from nor score them.
    """
    query = (
        select(
            Membership.community_id,
            Membership.user_id,
            # Only a known join counts: an imported roster's first-seen time is the import
            # time, which would make every member look new to every past salon.
            raw(Membership.joined_at),
            User.dm_status == DM_REACHABLE,
            User.invites_opt_out,
        )
        .join(User, User.id == Membership.user_id)
        .where(
            in_communities(Membership.community_id, community_id),
            Membership.is_member.is_(True),
            User.is_bot.is_(False),
            User.tracking_opt_out.is_(False),
        )
        .order_by(Membership.user_id)
    )
    t = table_of((await session.execute(query)).all(), len(MEMBER_COLUMNS))
    return pd.DataFrame({
        "community_id": t[:, 0].astype(np.int64),
        "user_id": t[:, 1].astype(np.int64),
        "joined_at": utc_column(t[:, 2]).array,
        "reachable": t[:, 3].astype(bool),
        "invite_opt_out": t[:, 4].astype(bool),
    })[MEMBER_COLUMNS]  # fmt: skip


async def texts_frame(
    community_id: int | Sequence[int] | None,
    *,
    session: AsyncSession,
    since: datetime | None = None,
) -> pd.DataFrame:
    """Stored message texts (only kept with [privacy] store_text), oldest first.

    Texts of members who stopped tracking are left out.
    """
    query = select(
        GroupMessage.community_id, GroupMessage.user_id, GroupMessage.sent_at, GroupMessage.text
    ).where(
        in_communities(GroupMessage.community_id, community_id),
        GroupMessage.text.is_not(None),
        GroupMessage.user_id.not_in(_opted_out()),
    )
    if since is not None:
        query = query.where(GroupMessage.sent_at >= since)
    rows = (await session.execute(query.order_by(GroupMessage.sent_at, GroupMessage.id))).all()
    frame = pd.DataFrame(rows, columns=TEXT_COLUMNS)
    frame["sent_at"] = _utc(frame["sent_at"])
    return frame.astype({"community_id": "int64", "user_id": "int64", "text": "object"})
