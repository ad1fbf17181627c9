"""A member's own ranking of the salons they could join (the `/events` order, `recommend`).

One member, a handful of upcoming salons: the ranking is a small closed form, not the
participation model (which scores one salon over all members, and needs a training run).

    p(salon) = rate * lift(salon) / mean(lift over the listed salons), clipped to [0, 0.95]
    rate     = (joined + K * base_rate) / (eligible past salons + K)   (shrunk to the community)
    lift     = 1 + 2 * affinity

`affinity` is the share of the member's tag mentions (over the salons they joined) that the
salon carries; a member who joined nothing yet is compared with what new members joined
first (their first salon each). So the mean probability of a member's list is their own
historical rate, and the order is by fit, then date. How many signed up already is shown as
a reason where nothing else is known, but does not move a salon up: in the backtest
(recommender/personal_eval.py) it made members' rankings worse on the Meetup data and
changed nothing on simulated communities. Nothing here reads
points or rewards: attendance-derived points are never inputs (they would feed back).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import numpy as np
import pandas as pd

from recommender import frames

SHRINK = 4.0
MAX_PROBABILITY = 0.95
DEFAULT_RATE = 0.05
KINDS = ("tags", "newcomers", "popular", "fallback")
RANKED = ("event_id", "probability", "affinity", "popularity", "kind", "detail")


def tag_profile(tag_strings: Iterable[object]) -> Counter:
    """How often each tag occurs over these salons' ';'-separated tags."""
    counts: Counter = Counter()
    for tags in tag_strings:
        counts.update(frames.split_tags(tags))
    return counts


def affinity(profile: Counter, tags: object) -> float:
    """The share of the profile's tag mentions that `tags` carries (0 without a profile)."""
    total = sum(profile.values())
    if not total:
        return 0.0
    return sum(profile.get(t, 0) for t in frames.split_tags(tags)) / total


def member_rate(joined: int, eligible: int, base_rate: float) -> float:
    """The member's signup rate over past salons, shrunk towards the community's."""
    base = base_rate if base_rate > 0 else DEFAULT_RATE
    return (joined + SHRINK * base) / (max(eligible, 0) + SHRINK)


def first_joins(signups: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Each member's first salon joined (event_id, user_id), by the salon's start."""
    positive = signups[signups["status"].isin(frames.POSITIVE_STATUSES)]
    starts = events.set_index("event_id")["starts_at"]
    joined = positive[positive["event_id"].isin(starts.index)][["event_id", "user_id"]].copy()
    joined["starts_at"] = starts.loc[joined["event_id"].to_numpy()].to_numpy()
    joined = joined.sort_values(["user_id", "starts_at", "event_id"])
    return joined.drop_duplicates("user_id")[["event_id", "user_id"]].reset_index(drop=True)


def _best_shared(profile: Counter, tags: object) -> str:
    shared = sorted((-profile[t], t) for t in frames.split_tags(tags) if profile.get(t))
    return ";".join(t for _n, t in shared[:2])


def rank_salons(
    candidates: pd.DataFrame,
    member_profile: Counter,
    newcomer_profile: Counter,
    rate: float,
    known_signups: pd.Series | None = None,
) -> pd.DataFrame:
    """The candidates (event_id, tags, starts_at), best first, with probability and a reason.

    Reason kinds: 'tags' (tags of salons the member joined; detail the tags), 'newcomers'
    (like what new members joined first), 'popular' (detail: known signups), 'fallback'.
    """
    if candidates.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in RANKED})
    own = bool(member_profile)
    profile = member_profile if own else newcomer_profile
    fit = np.array([affinity(profile, t) for t in candidates["tags"]], dtype=float)
    counts = np.zeros(len(candidates))
    if known_signups is not None:
        counts = known_signups.reindex(candidates["event_id"].to_numpy()).fillna(0).to_numpy(float)
    popularity = counts / counts.max() if counts.max() > 0 else counts
    lift = 1.0 + 2.0 * fit
    p = np.clip(rate * lift / lift.mean(), 0.0, MAX_PROBABILITY)
    kinds, details = [], []
    for tags, a, n in zip(candidates["tags"], fit, counts, strict=True):
        if a > 0:
            kinds.append("tags" if own else "newcomers")
            details.append(_best_shared(profile, tags) if own else "")
        elif n > 0:
            kinds.append("popular")
            details.append(str(int(n)))
        else:
            kinds.append("fallback")
            details.append("")
    out = pd.DataFrame({
        "event_id": candidates["event_id"].to_numpy(),
        "probability": p,
        "affinity": fit,
        "popularity": popularity,
        "kind": kinds,
        "detail": details,
        "starts_at": candidates["starts_at"].to_numpy(),
    })  # fmt: skip
    out = out.sort_values(["probability", "affinity", "starts_at", "event_id"],
                          ascending=[False, False, True, True], kind="stable")  # fmt: skip
    return out[list(RANKED)].reset_index(drop=True)
