"""Member features at a cutoff: activity, recency, rhythm, participation (no leakage)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import frames
from recommender.activity import ActivitySource, as_of, as_source
from recommender.cutoffs import DAY, as_cutoff
from recommender.interests import TextProfiles, tag_affinity, tag_profiles, text_profiles
from recommender.participation import (
    RECENCY_CAP_DAYS,
    ParticipationSource,
    SignupHistory,
    participation_features,
)

__all__ = [
    "ACTIVITY_FEATURES",
    "HOUR_FEATURES",
    "MEMBER_FEATURES",
    "PARTICIPATION_FEATURES",
    "RECENCY_FEATURES",
    "SignupHistory",
    "TextProfiles",
    "features_at",
    "member_features",
    "tag_affinity",
    "tag_profiles",
    "text_profiles",
]

WINDOWS: tuple[int, ...] = frames.ACTIVITY_WINDOWS
DAYPARTS: dict[str, tuple[int, int]] = {
    "night": (0, 6),
    "morning": (6, 12),
    "afternoon": (12, 18),
    "evening": (18, 24),
}
ACTIVITY_FEATURES: tuple[str, ...] = tuple(
    f"{c}_{w}d" for w in WINDOWS for c in (*frames.ROLLUP_COUNTS, "active_days")
)
RECENCY_FEATURES: tuple[str, ...] = ("days_since_active", "tenure_days")
HOUR_FEATURES: tuple[str, ...] = (*(f"share_{p}" for p in DAYPARTS), "peak_hour")
PARTICIPATION_FEATURES: tuple[str, ...] = (
    "invited",
    "joined",
    "attended",
    "no_shows",
    "declines",
    "days_since_attended",
    "avg_rating",
)
OTHER_FEATURES: tuple[str, ...] = ("texts_90d", "reachable")
MEMBER_FEATURES: tuple[str, ...] = (
    *ACTIVITY_FEATURES,
    *RECENCY_FEATURES,
    *HOUR_FEATURES,
    *PARTICIPATION_FEATURES,
    *OTHER_FEATURES,
)


def _hours(agg: pd.DataFrame) -> pd.DataFrame:
    values = agg[list(frames.HOURS)].to_numpy(dtype=float)
    total = values.sum(axis=1)
    out = pd.DataFrame(index=agg.index)
    for name, (lo, hi) in DAYPARTS.items():
        out[f"share_{name}"] = np.divide(
            values[:, lo:hi].sum(axis=1), total, out=np.zeros_like(total), where=total > 0
        )
    out["peak_hour"] = np.where(total > 0, values.argmax(axis=1), -1).astype(float)
    return out


def activity_features(
    agg: pd.DataFrame, joined_at: pd.Series, cutoff: pd.Timestamp
) -> pd.DataFrame:
    """ACTIVITY, RECENCY and HOUR features from AGGREGATE_VALUES (index user_id) at a cutoff."""
    out = agg[list(ACTIVITY_FEATURES)].astype(float)
    since_active = (cutoff - (agg["last_day"] + DAY)) / DAY
    out["days_since_active"] = since_active.fillna(RECENCY_CAP_DAYS).clip(upper=RECENCY_CAP_DAYS)
    joined = joined_at.set_axis(agg.index)
    since = joined.where(joined < cutoff).fillna(agg["first_day"])
    out["tenure_days"] = ((cutoff - since) / DAY).fillna(0.0).clip(lower=0.0)
    return out.join(_hours(agg))


def features_at(
    members: pd.DataFrame,
    activity: ActivitySource,
    participation: ParticipationSource,
    cutoff: pd.Timestamp,
    texts: pd.DataFrame | None = None,
    tags: object = "",
) -> pd.DataFrame:
    """MEMBER_FEATURES of one community's members (index user_id) from prepared sources.

    With a salon's `tags`, a `tag_affinity` column (share of the member's past salon tags
    among them) comes after the features.
    """
    ids = members["user_id"].to_numpy(dtype=np.int64)
    index = pd.Index(ids, name="user_id")
    columns = [*MEMBER_FEATURES, "tag_affinity"] if tags else list(MEMBER_FEATURES)
    if len(ids) == 0:
        return pd.DataFrame(columns=columns, index=index, dtype=float)
    community_id = int(members["community_id"].iloc[0])
    agg = activity.aggregates(community_id, as_of(cutoff), ids)
    out = activity_features(agg, members["joined_at"], cutoff)
    history = participation.aggregates(ids, cutoff, community_id, tags)
    out = out.join(participation_features(history, cutoff))
    out["texts_90d"] = 0.0
    if texts is not None and len(texts):
        frames.check_frame(texts, frames.TEXTS, "texts")
        recent = texts[(texts["community_id"] == community_id) & (texts["sent_at"] < cutoff)
                       & (texts["sent_at"] >= cutoff - pd.Timedelta(days=90))]  # fmt: skip
        out["texts_90d"] = recent.groupby("user_id").size().reindex(index).fillna(0.0)
    out["reachable"] = members["reachable"].astype(float).to_numpy()
    return out[columns]


def member_features(
    members: pd.DataFrame,
    rollups: pd.DataFrame | ActivitySource,
    events: pd.DataFrame,
    signups: pd.DataFrame,
    invitations: pd.DataFrame,
    cutoff: pd.Timestamp | str,
    texts: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per member (index user_id) of MEMBER_FEATURES, using only data before cutoff.

    `rollups` is a ROLLUPS frame or an ActivitySource (aggregates fetched with SQL).
    """
    frames.check_frame(members, frames.MEMBERS, "members")
    if members["user_id"].duplicated().any() or members["community_id"].nunique() > 1:
        raise ValueError("members must hold one row per user_id (one community at a time)")
    cutoff = as_cutoff(cutoff)
    history = SignupHistory(events, signups, invitations)
    return features_at(members, as_source(rollups), history, cutoff, texts)
