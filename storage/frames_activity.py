"""Activity aggregates at cutoff days, computed by the database from the daily rollups.

The recommender's AGGREGATES frame (recommender/activity.py defines each column) for the
members and days it asks for, so only one row per member and day leaves the database instead
of every rollup row of two years. Per (community, day) and batch of members, two queries:

- the 7/30/90-day sums and the 90-day hour profile: one range scan of each member's rows in
  the rollup table's primary key (community_id, user_id, day) over the last 90 days;
- the first and last rollup day before the day: two index lookups per member (MIN/MAX
  subqueries on the same key), so older history is never read row by row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import func, select, type_coerce
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.types import NullType

from recommender import frames
from recommender.activity import HOUR_WINDOW_DAYS, WINDOWS
from storage.frames import ID_BATCH, among, table_of
from storage.models import Membership
from storage.models.activity import activity_daily

BATCH = ID_BATCH  # members per query
Request = tuple[int, pd.Timestamp, Sequence[int]]


async def _window_rows(cid: int, day: date, ids: list[int], session: AsyncSession) -> np.ndarray:
    """AGGREGATE_SUMS of each member in `ids` (zeros without activity).

    One plain query per window (7, 30, 90 days; the hour profile with the 90 days) rather
    than CASE expressions in one query: faster, and simpler.
    """
    a = activity_daily.c
    index = pd.Index(ids)
    out = np.zeros((len(ids), len(frames.AGGREGATE_SUMS)))
    width = len(frames.ROLLUP_COUNTS) + 1
    counts = [*(func.sum(a[n]) for n in frames.ROLLUP_COUNTS), func.count()]
    hours = [func.sum(a[h]) for h in frames.HOURS]
    for j, w in enumerate(WINDOWS):
        # The hour profile covers the longest window: read with its counts, in one pass.
        columns = counts + hours if w == HOUR_WINDOW_DAYS else counts
        where = (a.community_id == cid, among(a.user_id, ids),
                 a.day >= day - timedelta(days=w), a.day < day)  # fmt: skip
        t = await _grouped(session, columns, where)
        rows = index.get_indexer(t[:, 0].astype(np.int64))
        out[rows, j * width : (j + 1) * width] = t[:, 1 : 1 + width].astype(float)
        if w == HOUR_WINDOW_DAYS:
            out[rows, len(WINDOWS) * width :] = t[:, 1 + width :].astype(float)
    return out


async def _grouped(session: AsyncSession, columns: list, where: tuple) -> np.ndarray:
    a = activity_daily.c
    query = select(a.user_id, *columns).where(*where).group_by(a.user_id)
    return table_of((await session.execute(query)).all(), 1 + len(columns))


async def _first_last(cid: int, day: date, ids: list[int], session: AsyncSession) -> list:
    a = activity_daily.c
    mine = (a.community_id == Membership.community_id, a.user_id == Membership.user_id,
            a.day < day)  # fmt: skip
    first = select(func.min(a.day)).where(*mine).scalar_subquery()
    last = select(func.max(a.day)).where(*mine).scalar_subquery()
    query = select(Membership.user_id, first, last).where(
        Membership.community_id == cid, among(Membership.user_id, ids)
    )
    return (await session.execute(query)).all()


def _frame(
    cid: int, day: pd.Timestamp, ids: np.ndarray, sums: np.ndarray, bounds: list
) -> pd.DataFrame:
    index = pd.Index(ids, name="user_id")
    out = pd.DataFrame(sums, index=index, columns=list(frames.AGGREGATE_SUMS))
    t = table_of(bounds, 3)
    found = pd.Index(t[:, 0].astype(np.int64))
    for j, column in enumerate(("first_day", "last_day"), start=1):
        days = pd.Series(t[:, j], dtype=object).map(lambda d: None if d is None else str(d))
        parsed = pd.to_datetime(days, utc=True, format="ISO8601").set_axis(found)
        out[column] = parsed.reindex(index).astype("datetime64[ns, UTC]")
    out = out.reset_index()
    out.insert(0, "community_id", np.int64(cid))
    out.insert(2, "as_of", day)
    return out[list(frames.AGGREGATES)]


def _merged(requests: Iterable[Request]) -> dict[tuple[int, pd.Timestamp], np.ndarray]:
    wanted: dict[tuple[int, pd.Timestamp], list[np.ndarray]] = {}
    for cid, day, ids in requests:
        key = (int(cid), pd.Timestamp(day).tz_convert("UTC").floor("D"))
        wanted.setdefault(key, []).append(np.asarray(ids, dtype=np.int64))
    return {key: np.unique(np.concatenate(parts)) for key, parts in wanted.items()}


async def rollup_rows_frame(
    community_id: int, user_ids: Sequence[int], *, session: AsyncSession, progress: bool = False
) -> pd.DataFrame:
    """The ROLLUPS frame of some members of one community (e.g. a training panel).

    Read in batches of members into numpy (no per-value type conversion), so a panel of a few
    thousand members with two years of rollups takes about a second.
    """
    a = activity_daily.c
    ids = np.unique(np.asarray(user_ids, dtype=np.int64))
    numbers = [*frames.ROLLUP_COUNTS, *frames.HOURS]
    batches = [ids[lo : lo + BATCH].tolist() for lo in range(0, len(ids), BATCH)]
    if progress:
        from tqdm import tqdm

        batches = tqdm(batches, desc="panel rollups", unit="batch")
    users, days, values = [], [], []
    for batch in batches:
        query = select(a.user_id, type_coerce(a.day, NullType()), *(a[n] for n in numbers)).where(
            a.community_id == community_id, among(a.user_id, batch)
        )
        rows = (await session.execute(query)).all()
        if not rows:
            continue
        t = table_of(rows, 2 + len(numbers))
        users.append(t[:, 0].astype(np.int64))
        days.append(t[:, 1])
        values.append(t[:, 2:].astype(np.int64))
    if not users:
        return frames.empty_frame(frames.ROLLUPS)
    frame = pd.DataFrame(np.concatenate(values), columns=numbers)
    frame.insert(0, "community_id", np.int64(community_id))
    frame.insert(1, "user_id", np.concatenate(users))
    day = pd.Series(np.concatenate(days), dtype=object).astype(str)
    frame.insert(2, "day", pd.to_datetime(day, utc=True, format="ISO8601").to_numpy())
    return frame[list(frames.ROLLUPS)]


async def activity_frame(
    requests: Iterable[Request], *, session: AsyncSession, progress: bool = False
) -> pd.DataFrame:
    """AGGREGATES of each requested (community_id, as_of day, member ids), one row per member.

    Members without rollups before the day get zero sums and NaT first/last days.
    """
    wanted = _merged(requests)
    batches = [(key, ids[lo:lo + BATCH]) for key, ids in wanted.items()
               for lo in range(0, len(ids), BATCH)]  # fmt: skip
    if progress:
        from tqdm import tqdm

        batches = tqdm(batches, desc="activity aggregates", unit="batch")
    parts = []
    for (cid, day), ids in batches:
        plain = day.date()
        id_list = ids.tolist()
        sums = await _window_rows(cid, plain, id_list, session)
        bounds = await _first_last(cid, plain, id_list, session)
        parts.append(_frame(cid, day, ids, sums, bounds))
    if not parts:
        return frames.empty_frame(frames.AGGREGATES)
    return pd.concat(parts, ignore_index=True)
