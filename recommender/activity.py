"""Activity aggregates at a cutoff: what the member features need from the daily rollups.

A rollup day counts at a cutoff once it has ended (day + 1 day <= cutoff), so every cutoff on
the same UTC date sees the same days: those before `as_of = cutoff.floor("D")`. The AGGREGATES
frame (recommender/frames.py) holds, per member and `as_of`:

- `{counter}_{w}d` and `active_days_{w}d`: sums and rollup days over the w days before as_of;
- `h00`..`h23`: messages by UTC hour over the last HOUR_WINDOW_DAYS days (the member's current
  rhythm; it also bounds how much history has to be read);
- `first_day` and `last_day`: the member's first and last rollup day before as_of (NaT if none).

Two sources produce it: `RollupActivity` from a ROLLUPS frame (pandas; the simulator, tests,
CSV history) and, in storage, grouped SQL over the rollup table (`PrefetchedActivity` serves
what was fetched). A test pins that both agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import numpy as np
import pandas as pd

from recommender import frames

DAY = pd.Timedelta(days=1)
_NS_PER_DAY = 86_400 * 10**9
_RUN = 2**21  # more days than any history holds
WINDOWS: tuple[int, ...] = frames.ACTIVITY_WINDOWS
HOUR_WINDOW_DAYS = max(WINDOWS)


def as_of(cutoff: pd.Timestamp) -> pd.Timestamp:
    """The first UTC day not yet over at the cutoff (rollup days before it count)."""
    return pd.Timestamp(cutoff).tz_convert("UTC").floor("D")


class ActivitySource(Protocol):
    """Anything that gives the AGGREGATES of members of a community at an as_of day."""

    def aggregates(
        self, community_id: int, day: pd.Timestamp, user_ids: np.ndarray
    ) -> pd.DataFrame:
        """AGGREGATE_VALUES (index user_id, in the order of user_ids)."""
        ...


def empty_aggregates(user_ids: Iterable[int]) -> pd.DataFrame:
    """Members without activity: zero sums, NaT first and last day."""
    index = pd.Index(np.asarray(list(user_ids), dtype=np.int64), name="user_id")
    out = pd.DataFrame(0.0, index=index, columns=list(frames.AGGREGATE_SUMS))
    never = pd.Series(pd.NaT, index=index, dtype="datetime64[ns, UTC]")
    out["first_day"] = never
    out["last_day"] = never
    return out[list(frames.AGGREGATE_VALUES)]


def rollup_aggregates(
    rollups: pd.DataFrame, community_id: int, day: pd.Timestamp, user_ids: np.ndarray
) -> pd.DataFrame:
    """AGGREGATE_VALUES of `user_ids` at `day` computed from a ROLLUPS frame."""
    r = rollups[(rollups["community_id"] == community_id) & (rollups["day"] < day)]
    r = r[r["user_id"].isin(user_ids)]
    index = pd.Index(np.asarray(user_ids, dtype=np.int64), name="user_id")
    out = empty_aggregates(index)
    if r.empty:
        return out
    by_user = r.groupby("user_id")["day"]
    out["first_day"] = by_user.min().reindex(index)
    out["last_day"] = by_user.max().reindex(index)
    counts = list(frames.ROLLUP_COUNTS)
    for w in WINDOWS:
        recent = r[r["day"] >= day - pd.Timedelta(days=w)].groupby("user_id")
        sums = recent[counts].sum().reindex(index).fillna(0)
        for c in counts:
            out[f"{c}_{w}d"] = sums[c].astype(float)
        out[f"active_days_{w}d"] = recent.size().reindex(index).fillna(0).astype(float)
    hours = r[r["day"] >= day - pd.Timedelta(days=HOUR_WINDOW_DAYS)]
    per_hour = hours.groupby("user_id")[list(frames.HOURS)].sum().reindex(index).fillna(0)
    out[list(frames.HOURS)] = per_hour.astype(float)
    return out


class RollupActivity:
    """An ActivitySource over a ROLLUPS frame: sorted once, then prefix sums per query.

    With `members` (community_id, user_id), the rollups are those members' complete rows
    (e.g. a training panel read from the database) and asking for anyone else raises
    KeyError, so a chain of sources (ChainedActivity) can fall through to the next one.
    """

    def __init__(self, rollups: pd.DataFrame, members: pd.DataFrame | None = None) -> None:
        frames.check_frame(rollups, frames.ROLLUPS, "rollups")
        self.known = None if members is None else {
            int(cid): np.unique(part.to_numpy(dtype=np.int64))
            for cid, part in members.groupby("community_id")["user_id"]
        }  # fmt: skip
        days = pd.DatetimeIndex(rollups["day"]).as_unit("ns").asi8 // _NS_PER_DAY
        community = rollups["community_id"].to_numpy(dtype=np.int64)
        user = rollups["user_id"].to_numpy(dtype=np.int64)
        order = np.lexsort((days, user, community))
        community, user, days = community[order], user[order], days[order]
        # Each (community, member) is a run of rows; key = run * 2^21 + day offset, sorted.
        new = np.ones(len(order), dtype=bool)
        new[1:] = (community[1:] != community[:-1]) | (user[1:] != user[:-1])
        self.run_community, self.run_user = community[new], user[new]
        self.first_day = int(days.min()) if len(days) else 0
        self.key = (np.cumsum(new) - 1) * _RUN + (days - self.first_day)
        self.day = days
        values = rollups[[*frames.ROLLUP_COUNTS, *frames.HOURS]].to_numpy(dtype=np.int64)[order]
        # cumulative[i] = sum of rows before i (one leading zero row)
        self.cumulative = np.zeros((len(order) + 1, values.shape[1]), dtype=np.int64)
        np.cumsum(values, axis=0, out=self.cumulative[1:])

    def holds(self, community_id: int, user_ids: np.ndarray) -> bool:
        """Whether these members' rows are all here."""
        if self.known is None:
            return True
        known = self.known.get(int(community_id), np.empty(0, dtype=np.int64))
        return bool(np.isin(np.asarray(user_ids, dtype=np.int64), known).all())

    def _runs(self, cid: int, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Each member's run number and whether they have rows at all."""
        lo = np.searchsorted(self.run_community, cid, side="left")
        hi = np.searchsorted(self.run_community, cid, side="right")
        at = np.searchsorted(self.run_user[lo:hi], ids)
        found = at < hi - lo
        found[found] = self.run_user[lo:hi][at[found]] == ids[found]
        return lo + at, found

    def _position(self, runs: np.ndarray, day: np.int64) -> np.ndarray:
        """Index of each run's first row on or after `day` (or the run's end)."""
        offset = np.clip(day - self.first_day, 0, _RUN - 1)
        return np.searchsorted(self.key, runs * _RUN + offset, side="left")

    def aggregates(
        self, community_id: int, day: pd.Timestamp, user_ids: np.ndarray
    ) -> pd.DataFrame:
        """AGGREGATE_VALUES from prefix sums over each member's rows."""
        ids = np.asarray(user_ids, dtype=np.int64)
        if not self.holds(community_id, ids):
            raise KeyError("member outside the rollups' members")
        out = empty_aggregates(ids)
        if len(ids) == 0 or len(self.day) == 0:
            return out
        end_day = np.int64(pd.Timestamp(day).value // _NS_PER_DAY)
        runs, found = self._runs(community_id, ids)
        runs = np.where(found, runs, 0)
        start = np.where(found, self._position(runs, np.int64(self.first_day)), 0)
        end = np.where(found, self._position(runs, end_day), 0)
        has = end > start
        counts = list(frames.ROLLUP_COUNTS)
        for w in WINDOWS:
            since = np.where(found, self._position(runs, end_day - w), 0)
            sums = self.cumulative[end] - self.cumulative[since]
            for j, c in enumerate(counts):
                out[f"{c}_{w}d"] = sums[:, j].astype(float)
            out[f"active_days_{w}d"] = (end - since).astype(float)
            if w == HOUR_WINDOW_DAYS:
                out[list(frames.HOURS)] = sums[:, len(counts) :].astype(float)
        first = np.where(has, self.day[np.minimum(start, len(self.day) - 1)], 0)
        last = np.where(has, self.day[np.maximum(end - 1, 0)], 0)
        out["first_day"] = _days(first, has)
        out["last_day"] = _days(last, has)
        return out


class ChainedActivity:
    """The first source that knows the members answers (KeyError falls through)."""

    def __init__(self, *sources: ActivitySource) -> None:
        self.sources = sources

    def aggregates(
        self, community_id: int, day: pd.Timestamp, user_ids: np.ndarray
    ) -> pd.DataFrame:
        """The aggregates from the first source that has them."""
        for source in self.sources:
            try:
                return source.aggregates(community_id, day, user_ids)
            except KeyError:
                continue
        raise KeyError(f"no source has the activity of these members at {day}")


def _days(values: np.ndarray, valid: np.ndarray) -> pd.DatetimeIndex:
    stamps = pd.to_datetime(values * _NS_PER_DAY, utc=True)
    return stamps.where(valid, pd.NaT)


class PrefetchedActivity:
    """An ActivitySource over an AGGREGATES frame fetched beforehand (e.g. by storage).

    Asking for a member or a day that was not fetched is a programming error: KeyError.
    """

    def __init__(self, aggregates: pd.DataFrame) -> None:
        frames.check_frame(aggregates, frames.AGGREGATES, "aggregates")
        self.by_key = {
            (int(cid), pd.Timestamp(day)): part.set_index("user_id")
            for (cid, day), part in aggregates.groupby(["community_id", "as_of"], sort=False)
        }

    def aggregates(
        self, community_id: int, day: pd.Timestamp, user_ids: np.ndarray
    ) -> pd.DataFrame:
        """The fetched rows of `user_ids` at `day`."""
        ids = np.asarray(user_ids, dtype=np.int64)
        if len(ids) == 0:
            return empty_aggregates(ids)
        part = self.by_key.get((int(community_id), pd.Timestamp(day)))
        if part is None:
            raise KeyError(f"activity of community {community_id} at {day} was not fetched")
        missing = ~np.isin(ids, part.index.to_numpy())
        if missing.any():
            raise KeyError(f"activity of user {ids[missing][0]} at {day} was not fetched")
        out = part.loc[ids, list(frames.AGGREGATE_VALUES)]
        out.index.name = "user_id"
        return out


def as_source(rollups: pd.DataFrame | ActivitySource) -> ActivitySource:
    """A ROLLUPS frame wrapped as a source; a source as it is."""
    return RollupActivity(rollups) if isinstance(rollups, pd.DataFrame) else rollups
