"""The naive baseline of bench/pipeline.py: activity features from raw message rows in pandas.

Every raw `group_messages` row of the community is read with `pandas.read_sql` and the
activity features (messages, characters, replies sent and received in the last 7/30/90
days, active days, days since active, tenure, the 90-day hour profile) of every member are
grouped out of them at one cutoff: what the models would do without daily rollups.
"""

from __future__ import annotations

import sqlite3
import time

import numpy as np
import pandas as pd

from recommender.features import DAYPARTS, RECENCY_CAP_DAYS, WINDOWS

DAY = pd.Timedelta(days=1)


def naive_features(path: str, community_id: int, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Activity features of every current member at `cutoff` from the raw rows.

    `attrs` of the result: raw_rows, read_s (reading the rows) and compute_s (the features
    at this one cutoff; a model run needs them at every past salon's cutoff too).
    """
    started = time.perf_counter()
    db = sqlite3.connect(path)
    try:
        raw = pd.read_sql(
            "SELECT user_id, sent_at, length, reply_to_user_id FROM group_messages "
            "WHERE community_id = ?",
            db,
            params=(community_id,),
        )
        members = pd.read_sql(
            "SELECT user_id, joined_at FROM memberships WHERE community_id = ? AND is_member",
            db,
            params=(community_id,),
        )
    finally:
        db.close()
    raw["sent_at"] = pd.to_datetime(raw["sent_at"], utc=True, format="ISO8601")
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    raw = raw[raw["sent_at"] < cutoff.floor("D")]
    raw["day"] = raw["sent_at"].dt.floor("D")
    index = pd.Index(members["user_id"].astype("int64"), name="user_id")
    out = pd.DataFrame(index=index)
    for w in WINDOWS:
        recent = raw[raw["day"] >= cutoff.floor("D") - pd.Timedelta(days=w)]
        by_user = recent.groupby("user_id")
        out[f"messages_{w}d"] = by_user.size().reindex(index).fillna(0.0)
        out[f"chars_{w}d"] = by_user["length"].sum().reindex(index).fillna(0.0)
        out[f"replies_sent_{w}d"] = by_user["reply_to_user_id"].count().reindex(index).fillna(0.0)
        received = recent.groupby("reply_to_user_id").size()
        out[f"replies_received_{w}d"] = received.reindex(index).fillna(0.0)
        out[f"active_days_{w}d"] = by_user["day"].nunique().reindex(index).fillna(0.0)
    days = raw.groupby("user_id")["day"].agg(["min", "max"]).reindex(index)
    since_active = (cutoff - (days["max"] + DAY)) / DAY
    out["days_since_active"] = since_active.fillna(RECENCY_CAP_DAYS).clip(upper=RECENCY_CAP_DAYS)
    joined = pd.to_datetime(members["joined_at"], utc=True, format="ISO8601").set_axis(index)
    since = joined.where(joined < cutoff).fillna(days["min"])
    out["tenure_days"] = ((cutoff - since) / DAY).fillna(0.0).clip(lower=0.0)
    recent = raw[raw["day"] >= cutoff.floor("D") - pd.Timedelta(days=max(WINDOWS))]
    hours = pd.crosstab(recent["user_id"], recent["sent_at"].dt.hour).reindex(
        index=index, columns=range(24), fill_value=0
    )
    values = hours.fillna(0).to_numpy(dtype=float)
    total = values.sum(axis=1)
    for name, (lo, hi) in DAYPARTS.items():
        out[f"share_{name}"] = np.divide(values[:, lo:hi].sum(axis=1), total,
                                         out=np.zeros_like(total), where=total > 0)  # fmt: skip
    out["peak_hour"] = np.where(total > 0, values.argmax(axis=1), -1).astype(float)
    out.attrs.update(raw_rows=len(raw), read_s=round(read_s, 2),
                     compute_s=round(time.perf_counter() - started, 2))  # fmt: skip
    return out
