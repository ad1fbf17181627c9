"""Backtest of members' own rankings (recommender/personal.py) against plain date order.

The salons are split by time as the participation backtest splits them (earlier train,
latest share test). At the first test salon's cutoff, each member ranks the test salons
they could join (of their community, joined before the salon's cutoff) with what was known
then: the salons they joined before, what new members joined first, signups known so far.
A member's AUC says how often a salon they signed up for is ranked above one they did not;
the report gives the mean over members with at least one of each.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from recommender import frames
from recommender.evaluation import split_events
from recommender.personal import first_joins

# The personal ranking (tag fit, then date), plain date order, other members' signups known.
SCORES = ("personal", "date_order", "popularity")


def _auc(labels: np.ndarray, scores: np.ndarray) -> float:
    """ROC AUC by ranks (ties count one half)."""
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    pos = labels == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def _tags_long(events: pd.DataFrame) -> pd.DataFrame:
    """One row per (event_id, tag)."""
    rows = [(int(e), t) for e, tags in zip(events["event_id"], events["tags"], strict=True)
            for t in frames.split_tags(tags)]  # fmt: skip
    return pd.DataFrame(rows, columns=["event_id", "tag"]).astype({"event_id": "int64"})


def _fit(pairs: pd.DataFrame, profile: pd.DataFrame, key: str, tags: pd.DataFrame) -> pd.Series:
    """Share of each pair's profile (per `key`: user_id or community_id) that its salon carries."""
    if profile.empty or tags.empty:
        return pd.Series(0.0, index=pairs.index)
    total = profile.groupby(key)["n"].sum()
    hits = (pairs[["pair", key, "event_id"]].merge(tags, on="event_id")
            .merge(profile, on=[key, "tag"]).groupby("pair")["n"].sum())  # fmt: skip
    share = hits.reindex(pairs["pair"]).fillna(0.0).to_numpy()
    return pd.Series(share / total.reindex(pairs[key]).fillna(1.0).to_numpy(), index=pairs.index)


def member_pairs(
    members: pd.DataFrame, events: pd.DataFrame, signups: pd.DataFrame, test_share: float = 0.3
) -> pd.DataFrame:
    """(user_id, event_id, label, *SCORES) for the test salons each member could join."""
    train_ids, test_ids = split_events(events, test_share)
    test = events[events["event_id"].isin(test_ids)].copy()
    empty = pd.DataFrame(columns=["user_id", "event_id", "label", *SCORES])
    if test.empty:
        return empty
    test["cutoff"] = frames.event_cutoffs(test).to_numpy()
    now = test["cutoff"].min()
    past = events[events["starts_at"] < now]
    positive = signups[signups["status"].isin(frames.POSITIVE_STATUSES)]
    pairs = members[["community_id", "user_id", "joined_at"]].merge(
        test[["event_id", "community_id", "starts_at", "cutoff"]], on="community_id"
    )
    pairs = pairs[pairs["joined_at"].isna() | (pairs["joined_at"] < pairs["cutoff"])]
    labels = positive[["event_id", "user_id"]].drop_duplicates().assign(label=1)
    pairs = pairs.merge(labels, on=["event_id", "user_id"], how="left").fillna({"label": 0})
    both = pairs.groupby("user_id")["label"].agg(["min", "max"])
    keep = both.index[(both["min"] == 0) & (both["max"] == 1)]
    pairs = pairs[pairs["user_id"].isin(keep)].reset_index(drop=True)
    if pairs.empty:
        return empty
    pairs["pair"] = np.arange(len(pairs))
    tags = _tags_long(events)
    joined = positive[positive["event_id"].isin(past["event_id"])]
    own = (joined[["user_id", "event_id"]].merge(tags, on="event_id")
           .groupby(["user_id", "tag"]).size().rename("n").reset_index())  # fmt: skip
    firsts = first_joins(joined, past).merge(past[["event_id", "community_id"]], on="event_id")
    new = (firsts.merge(tags, on="event_id").groupby(["community_id", "tag"]).size()
           .rename("n").reset_index())  # fmt: skip
    has_own = pairs["user_id"].isin(own["user_id"])
    fit = _fit(pairs, own, "user_id", tags).where(has_own, _fit(pairs, new, "community_id", tags))
    # Other members' signups known then (the member's own would give their answer away).
    early = positive[positive["responded_at"] < now][["event_id", "user_id"]].drop_duplicates()
    known = early.groupby("event_id").size()
    own = pairs.merge(early.assign(_own=1.0), on=["event_id", "user_id"], how="left")["_own"]
    counts = known.reindex(pairs["event_id"]).fillna(0.0).to_numpy() - own.fillna(0.0).to_numpy()
    top = pd.Series(counts).groupby(pairs["user_id"].to_numpy()).transform("max").to_numpy()
    popularity = np.divide(counts, top, out=np.zeros(len(pairs)), where=top > 0)
    soon = 1e-9 * -pairs["starts_at"].rank().to_numpy()  # ties: the sooner first, as /events
    pairs["personal"] = fit.to_numpy() + soon
    pairs["date_order"] = -pairs["starts_at"].rank().to_numpy()
    pairs["popularity"] = popularity
    return pairs[["user_id", "event_id", "label", *SCORES]]


def backtest_members(
    members: pd.DataFrame, events: pd.DataFrame, signups: pd.DataFrame, test_share: float = 0.3
) -> dict[str, Any]:
    """Mean per-member AUC of each of SCORES (JSON-ready)."""
    pairs = member_pairs(members, events, signups, test_share)
    report: dict[str, Any] = {"members": int(pairs["user_id"].nunique()) if len(pairs) else 0,
                              "pairs": len(pairs)}  # fmt: skip
    for name in SCORES:
        if not len(pairs):
            report[name] = {"mean_auc": None}
            continue
        aucs = [_auc(g["label"].to_numpy(), g[name].to_numpy(float))
                for _u, g in pairs.groupby("user_id")]  # fmt: skip
        report[name] = {"mean_auc": float(np.mean(aucs))}
    return report
