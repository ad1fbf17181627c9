"""Member features at a cutoff: activity, recency, rhythm, participation (no leakage)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import frames
from recommender.cutoffs import DAY, as_cutoff, past_rollups, past_signups
from recommender.interests import TextProfiles, tag_affinity, tag_profiles, text_profiles

__all__ = [
    "ACTIVITY_FEATURES",
    "HOUR_FEATURES",
    "MEMBER_FEATURES",
    "PARTICIPATION_FEATURES",
    "RECENCY_FEATURES",
    "TextProfiles",
    "member_features",
    "tag_affinity",
    "tag_profiles",
    "text_profiles",
]

WINDOWS: tuple[int, ...] = (7, 30, 90)
RECENCY_CAP_DAYS = 365.0  # "never" and "longer ago than a year" look the same to the model
DAYPARTS: dict[str, tuple[int, int]] = {
    "night": (0, 6), "morning": (6, 12), "afternoon": (12, 18), "evening": (18, 24),
}
ACTIVITY_FEATURES: tuple[str, ...] = tuple(
    f"{c}_{w}d" for w in WINDOWS for c in (*frames.ROLLUP_COUNTS, "active_days")
)
RECENCY_FEATURES: tuple[str, ...] = ("days_since_active", "tenure_days")
HOUR_FEATURES: tuple[str, ...] = (*(f"share_{p}" for p in DAYPARTS), "peak_hour")
PARTICIPATION_FEATURES: tuple[str, ...] = (
    "invited", "joined", "attended", "no_shows", "declines", "days_since_attended", "avg_rating",
)
OTHER_FEATURES: tuple[str, ...] = ("texts_90d", "reachable")
MEMBER_FEATURES: tuple[str, ...] = (
    *ACTIVITY_FEATURES, *RECENCY_FEATURES, *HOUR_FEATURES, *PARTICIPATION_FEATURES,
    *OTHER_FEATURES,
)


def _activity(r: pd.DataFrame, cutoff: pd.Timestamp, index: pd.Index) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {}
    counts = list(frames.ROLLUP_COUNTS)
    for w in WINDOWS:
        sub = r[r["day"] + DAY > cutoff - pd.Timedelta(days=w)]
        grouped = sub.groupby("user_id")
        sums = grouped[counts].sum().astype(float)
        for c in counts:
            cols[f"{c}_{w}d"] = sums[c]
        cols[f"active_days_{w}d"] = grouped.size().astype(float)
    return pd.DataFrame(cols).reindex(index).fillna(0.0)[list(ACTIVITY_FEATURES)]


def _hours(r: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    per_hour = r.groupby("user_id")[list(frames.HOURS)].sum().reindex(index).fillna(0)
    values = per_hour.to_numpy(dtype=float)
    total = values.sum(axis=1)
    out = pd.DataFrame(index=index)
    for name, (lo, hi) in DAYPARTS.items():
        out[f"share_{name}"] = np.divide(values[:, lo:hi].sum(axis=1), total,
                                         out=np.zeros_like(total), where=total > 0)
    out["peak_hour"] = np.where(total > 0, values.argmax(axis=1), -1).astype(float)
    return out


def _participation(
    members: pd.DataFrame,
    events: pd.DataFrame,
    signups: pd.DataFrame,
    invitations: pd.DataFrame,
    cutoff: pd.Timestamp,
) -> pd.DataFrame:
    index = pd.Index(members["user_id"], name="user_id")
    events = events[events["community_id"].isin(members["community_id"].unique())]
    s = past_signups(events, signups, cutoff)
    attended = s["attended"] == 1.0
    by_user = s.assign(
        joined=s["status"].isin(frames.POSITIVE_STATUSES),
        attended=attended,
        no_shows=(s["status"] == "yes") & (s["attended"] == 0.0),
        declines=s["status"] == "no",
    ).groupby("user_id")
    out = by_user[["joined", "attended", "no_shows", "declines"]].sum().astype(float)
    out = out.reindex(index).fillna(0.0)
    last = s[attended].groupby("user_id")["starts_at"].max().reindex(index)
    out["days_since_attended"] = ((cutoff - last) / DAY).fillna(RECENCY_CAP_DAYS).clip(
        upper=RECENCY_CAP_DAYS)
    out["avg_rating"] = by_user["rating"].mean().reindex(index)
    inv = invitations[(invitations["sent_at"] < cutoff) & ~invitations["holdout"].astype(bool)]
    inv = inv[inv["event_id"].isin(events["event_id"])]
    out["invited"] = inv.groupby("user_id").size().reindex(index).fillna(0).astype(float)
    return out


def member_features(
    members: pd.DataFrame,
    rollups: pd.DataFrame,
    events: pd.DataFrame,
    signups: pd.DataFrame,
    invitations: pd.DataFrame,
    cutoff: pd.Timestamp | str,
    texts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per member (index user_id) of MEMBER_FEATURES, using only data before cutoff."""
    frames.check_frame(members, frames.MEMBERS, "members")
    frames.check_frame(rollups, frames.ROLLUPS, "rollups")
    frames.check_frame(events, frames.EVENTS, "events")
    frames.check_frame(signups, frames.SIGNUPS, "signups")
    frames.check_frame(invitations, frames.INVITATIONS, "invitations")
    if members["user_id"].duplicated().any():
        raise ValueError("members must hold one row per user_id (one community at a time)")
    cutoff = as_cutoff(cutoff)
    index = pd.Index(members["user_id"].to_numpy(), name="user_id")
    r = past_rollups(rollups[rollups["community_id"].isin(members["community_id"].unique())],
                     cutoff)
    out = _activity(r, cutoff, index)
    last_day = r.groupby("user_id")["day"].max().reindex(index)
    out["days_since_active"] = ((cutoff - (last_day + DAY)) / DAY).fillna(
        RECENCY_CAP_DAYS).clip(upper=RECENCY_CAP_DAYS)
    joined = members["joined_at"].set_axis(index)
    first_day = r.groupby("user_id")["day"].min().reindex(index)
    since = joined.where(joined < cutoff).fillna(first_day)
    out["tenure_days"] = ((cutoff - since) / DAY).fillna(0.0).clip(lower=0.0)
    out = out.join(_hours(r, index))
    out = out.join(_participation(members, events, signups, invitations, cutoff))
    out["texts_90d"] = 0.0
    if texts is not None and len(texts):
        frames.check_frame(texts, frames.TEXTS, "texts")
        recent = texts[(texts["sent_at"] < cutoff)
                       & (texts["sent_at"] >= cutoff - pd.Timedelta(days=90))]
        out["texts_90d"] = recent.groupby("user_id").size().reindex(index).fillna(0.0)
    out["reachable"] = members["reachable"].astype(float).to_numpy()
    return out[list(MEMBER_FEATURES)]
