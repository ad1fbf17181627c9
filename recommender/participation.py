"""Participation history at a cutoff, for many members at once (no leakage).

What is known at a cutoff (recommender/cutoffs.py): responses to salons that started before
it, given before it (a missing response time counts as the salon's start), and invitations
sent (or, for the holdout, planned) before it. Only salons of the asked community count.

The PARTICIPATION_AGGREGATES frame (recommender/frames.py) holds, per member, cutoff and
salon tags: joined, attended, no_shows, declines, last_attended (start of the last salon
attended), rating_sum and rating_count, invited (non-holdout invitations), and tag_total /
tag_hits (over salons joined or attended: their tags, and those among the asked tags).
`participation_features` turns it into PARTICIPATION_FEATURES.

Two sources produce it: `SignupHistory` from SIGNUPS and INVITATIONS frames (sorted by
member once, so 100 past salons x thousands of members cost a few vectorised passes), and,
in storage, grouped SQL over every member (`PrefetchedParticipation` serves it). A test pins
that both agree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

import numpy as np
import pandas as pd

from recommender import frames

RECENCY_CAP_DAYS = 365.0
_NS_PER_DAY = 86_400 * 10**9
_NEVER = np.iinfo(np.int64).min


def tags_key(tags: object) -> str:
    """A salon's tags as one canonical string (sorted, lower-case, ';'-joined)."""
    return ";".join(sorted(frames.split_tags(tags)))


class ParticipationSource(Protocol):
    """Anything that gives PARTICIPATION_AGGREGATE_VALUES of members at a cutoff."""

    def aggregates(
        self, user_ids: np.ndarray, cutoff: pd.Timestamp, community_id: int, tags: object = ""
    ) -> pd.DataFrame:
        """The aggregates (index user_id, in the order of user_ids)."""
        ...


def participation_features(agg: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """PARTICIPATION_FEATURES (and tag_affinity) from PARTICIPATION_AGGREGATE_VALUES."""
    out = agg[["joined", "attended", "no_shows", "declines", "invited"]].astype(float)
    last = agg["last_attended"]
    out["days_since_attended"] = ((cutoff - last) / pd.Timedelta(days=1)).fillna(
        RECENCY_CAP_DAYS).clip(upper=RECENCY_CAP_DAYS)  # fmt: skip
    count = agg["rating_count"].to_numpy(dtype=float)
    out["avg_rating"] = np.divide(agg["rating_sum"].to_numpy(dtype=float), count,
                                  out=np.full(len(agg), np.nan), where=count > 0)  # fmt: skip
    total = agg["tag_total"].to_numpy(dtype=float)
    out["tag_affinity"] = np.divide(agg["tag_hits"].to_numpy(dtype=float), total,
                                    out=np.zeros(len(agg)), where=total > 0)  # fmt: skip
    return out


def _ns(values: pd.Series) -> np.ndarray:
    """UTC timestamps as int64 nanoseconds (NaT stays the int64 minimum)."""
    return pd.DatetimeIndex(values).as_unit("ns").asi8


def _rows_of(sorted_users: np.ndarray, user_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(member position, row) for every row of each asked member in the user-sorted rows."""
    lo = np.searchsorted(sorted_users, user_ids, side="left")
    hi = np.searchsorted(sorted_users, user_ids, side="right")
    counts = hi - lo
    owner = np.repeat(np.arange(len(user_ids)), counts)
    starts = np.repeat(lo - np.cumsum(counts) + counts, counts)
    return owner, np.arange(counts.sum()) + starts


class SignupHistory:
    """A ParticipationSource over SIGNUPS and INVITATIONS frames.

    With `members` (community_id, user_id), the frames hold those members' complete history
    (e.g. a training panel) and asking for anyone else raises KeyError, so a chain of
    sources (ChainedParticipation) can fall through to the next one.
    """

    def __init__(
        self,
        events: pd.DataFrame,
        signups: pd.DataFrame,
        invitations: pd.DataFrame,
        members: pd.DataFrame | None = None,
    ) -> None:
        frames.check_frame(events, frames.EVENTS, "events")
        frames.check_frame(signups, frames.SIGNUPS, "signups")
        frames.check_frame(invitations, frames.INVITATIONS, "invitations")
        self.known = None if members is None else {
            int(cid): np.unique(part.to_numpy(dtype=np.int64))
            for cid, part in members.groupby("community_id")["user_id"]
        }  # fmt: skip
        self.event_ids = events["event_id"].to_numpy(dtype=np.int64)
        self.tag_sets = [frames.split_tags(t) for t in events["tags"]]
        position = pd.Series(np.arange(len(events)), index=self.event_ids)
        s = signups[signups["event_id"].isin(self.event_ids)]
        s = s.iloc[np.argsort(s["user_id"].to_numpy(), kind="stable")]
        ev = position.loc[s["event_id"].to_numpy()].to_numpy()
        starts = _ns(events["starts_at"])[ev]
        responded = _ns(s["responded_at"])
        self.s_user = s["user_id"].to_numpy(dtype=np.int64)
        self.s_event = ev
        self.s_community = events["community_id"].to_numpy(dtype=np.int64)[ev]
        self.s_starts = starts
        self.s_known = np.where(responded == np.iinfo(np.int64).min, starts, responded)
        status = s["status"].to_numpy(dtype=object)
        attended = s["attended"].to_numpy(dtype=float)
        self.s_joined = np.isin(status, frames.POSITIVE_STATUSES)
        self.s_attended = attended == 1.0
        self.s_no_show = (status == "yes") & (attended == 0.0)
        self.s_declined = status == "no"
        self.s_rating = s["rating"].to_numpy(dtype=float)
        inv = invitations[~invitations["holdout"].astype(bool)
                          & invitations["event_id"].isin(self.event_ids)]  # fmt: skip
        inv = inv.iloc[np.argsort(inv["user_id"].to_numpy(), kind="stable")]
        self.i_user = inv["user_id"].to_numpy(dtype=np.int64)
        self.i_sent = _ns(inv["sent_at"])
        i_event = position.loc[inv["event_id"].to_numpy()].to_numpy()
        self.i_community = events["community_id"].to_numpy(dtype=np.int64)[i_event]

    def _past(self, user_ids: np.ndarray, cutoff: pd.Timestamp, community_id: int):
        owner, row = _rows_of(self.s_user, user_ids)
        c = pd.Timestamp(cutoff).value
        keep = ((self.s_starts[row] < c) & (self.s_known[row] < c)
                & (self.s_community[row] == community_id))  # fmt: skip
        return owner[keep], row[keep]

    def holds(self, community_id: int, user_ids: np.ndarray) -> bool:
        """Whether these members' history is all here."""
        if self.known is None:
            return True
        known = self.known.get(int(community_id), np.empty(0, dtype=np.int64))
        return bool(np.isin(np.asarray(user_ids, dtype=np.int64), known).all())

    def aggregates(
        self, user_ids: np.ndarray, cutoff: pd.Timestamp, community_id: int, tags: object = ""
    ) -> pd.DataFrame:
        """PARTICIPATION_AGGREGATE_VALUES of `user_ids` (index user_id) at the cutoff."""
        ids = np.asarray(user_ids, dtype=np.int64)
        if not self.holds(community_id, ids):
            raise KeyError("member outside the history's members")
        n = len(ids)
        owner, row = self._past(ids, cutoff, community_id)
        out = pd.DataFrame(index=pd.Index(ids, name="user_id"))

        def count(flags: np.ndarray) -> np.ndarray:
            return np.bincount(owner, weights=flags[row].astype(float), minlength=n)

        out["joined"] = count(self.s_joined)
        out["attended"] = count(self.s_attended)
        out["no_shows"] = count(self.s_no_show)
        out["declines"] = count(self.s_declined)
        last = np.full(n, _NEVER)
        went = self.s_attended[row]
        np.maximum.at(last, owner[went], self.s_starts[row][went])
        out["last_attended"] = pd.to_datetime(np.where(last == _NEVER, _NEVER, last),
                                              utc=True)  # fmt: skip
        rating = self.s_rating[row]
        rated = ~np.isnan(rating)
        out["rating_sum"] = np.bincount(owner[rated], weights=rating[rated], minlength=n)
        out["rating_count"] = np.bincount(owner[rated], minlength=n).astype(float)
        i_owner, i_row = _rows_of(self.i_user, ids)
        c = pd.Timestamp(cutoff).value
        sent = (self.i_sent[i_row] < c) & (self.i_community[i_row] == community_id)
        out["invited"] = np.bincount(i_owner[sent], minlength=n).astype(float)
        wanted = frames.split_tags(tags)
        liked = self.s_joined[row] | self.s_attended[row]
        event = self.s_event[row][liked]
        n_tags = np.array([len(t) for t in self.tag_sets], dtype=float)
        n_hits = np.array([len(t & wanted) for t in self.tag_sets], dtype=float)
        out["tag_total"] = np.bincount(owner[liked], weights=n_tags[event], minlength=n)
        out["tag_hits"] = np.bincount(owner[liked], weights=n_hits[event], minlength=n)
        return out[list(frames.PARTICIPATION_AGGREGATE_VALUES)]


class PrefetchedParticipation:
    """A ParticipationSource over a PARTICIPATION_AGGREGATES frame fetched beforehand.

    The frame covers every member of a community at each (cutoff, tags) it holds: a member
    without a row there has no history. A cutoff or tags not fetched raises KeyError.
    """

    def __init__(self, aggregates: pd.DataFrame, fetched: Iterable[tuple] = ()) -> None:
        """`fetched`: the (community_id, cutoff, tags) asked for; those without any row are
        then known to hold no history for anyone (a community where nobody signed up yet)."""
        frames.check_frame(aggregates, frames.PARTICIPATION_AGGREGATES, "participation")
        self.by_key = {
            (int(cid), pd.Timestamp(cutoff), str(tags)): part.set_index("user_id")
            for (cid, cutoff, tags), part in aggregates.groupby(
                ["community_id", "cutoff", "tags"], sort=False)
        }  # fmt: skip
        nobody = aggregates.iloc[:0].set_index("user_id")
        for cid, cutoff, tags in fetched:
            self.by_key.setdefault((int(cid), pd.Timestamp(cutoff), tags_key(tags)), nobody)

    def aggregates(
        self, user_ids: np.ndarray, cutoff: pd.Timestamp, community_id: int, tags: object = ""
    ) -> pd.DataFrame:
        """The fetched rows of `user_ids` (zero history for members without one)."""
        key = (int(community_id), pd.Timestamp(cutoff), tags_key(tags))
        part = self.by_key.get(key)
        if part is None:
            raise KeyError(f"participation at {key} was not fetched")
        ids = pd.Index(np.asarray(user_ids, dtype=np.int64), name="user_id")
        out = part.reindex(ids)[list(frames.PARTICIPATION_AGGREGATE_VALUES)]
        sums = [c for c in frames.PARTICIPATION_AGGREGATE_VALUES if c != "last_attended"]
        out[sums] = out[sums].fillna(0.0)
        return out


class ChainedParticipation:
    """The first source that holds the members answers (KeyError falls through)."""

    def __init__(self, *sources: ParticipationSource) -> None:
        self.sources = sources

    def aggregates(
        self, user_ids: np.ndarray, cutoff: pd.Timestamp, community_id: int, tags: object = ""
    ) -> pd.DataFrame:
        """The aggregates from the first source that has them."""
        for source in self.sources:
            try:
                return source.aggregates(user_ids, cutoff, community_id, tags)
            except KeyError:
                continue
        raise KeyError(f"no source has the participation of these members at {cutoff}")
