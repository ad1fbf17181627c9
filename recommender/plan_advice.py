"""Advice for planning salons: a good weekday and hour, and topics with unmet demand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from recommender import frames
from recommender.plans import HALF_LIFE

SHRINK = 2.0  # pseudo-salons at the community's mean: one good salon is not a pattern
HOURS = range(9, 22)  # hours a salon may reasonably start (local)


def _weights(n: int) -> np.ndarray:
    return 0.5 ** ((n - 1 - np.arange(n)) / HALF_LIFE)


def _lift(y: np.ndarray, w: np.ndarray, mask: np.ndarray, base: float) -> float:
    """Recency-weighted mean of y where mask, shrunk towards base, minus base."""
    return float(((y * w)[mask].sum() + SHRINK * base) / (w[mask].sum() + SHRINK) - base)


def best_slot(
    past: pd.DataFrame, counts: pd.Series, timezone: str, hour_counts: np.ndarray
) -> tuple[int, int] | None:
    """(weekday 0=Monday, local hour) where past salons drew most (weekday) and members are
    active while past salons at that time of day filled (hour); None without any data."""
    past = past.sort_values("starts_at")
    local = past["starts_at"].dt.tz_convert(timezone)
    y = np.log1p(counts.reindex(past["event_id"].to_numpy()).fillna(0.0).to_numpy(dtype=float))
    activity = np.asarray(hour_counts, dtype=float)
    if not len(y) and activity.sum() <= 0:
        return None
    w = _weights(len(y))
    base = float((y * w).sum() / w.sum()) if len(y) else 0.0
    weekdays = local.dt.weekday.to_numpy()
    weekday = int(np.argmax([_lift(y, w, weekdays == d, base) for d in range(7)])) if len(y) else 5
    smooth = np.array([activity[[(h - 1) % 24, h, (h + 1) % 24]].sum() for h in range(24)])
    share = smooth / smooth.sum() if smooth.sum() > 0 else np.zeros(24)
    parts = local.dt.hour.to_numpy() // 6
    scores = [share[h] * 4 + (_lift(y, w, parts == h // 6, base) if len(y) else 0.0)
              for h in HOURS]  # fmt: skip
    return weekday, int(list(HOURS)[int(np.argmax(scores))])


def unmet_tags(past: pd.DataFrame, counts: pd.Series, limit: int = 3) -> list[str]:
    """Tags whose salons drew more than the community's usual or filled up (recent salons
    count more), most unmet first; at most `limit`."""
    past = past.sort_values("starts_at")
    signups = counts.reindex(past["event_id"].to_numpy()).fillna(0.0).to_numpy(dtype=float)
    if not len(signups):
        return []
    y, w = np.log1p(signups), _weights(len(signups))
    base = float((y * w).sum() / w.sum())
    capacity = past["capacity"].to_numpy(dtype=float)
    full = ~np.isnan(capacity) & (signups >= capacity)
    tag_sets = [frames.split_tags(t) for t in past["tags"]]
    scores = {}
    for tag in sorted(set().union(*tag_sets)):
        mask = np.array([tag in t for t in tag_sets])
        score = _lift(y, w, mask, base) + 0.5 * float((w * full)[mask].sum() / w[mask].sum())
        if score > 0:
            scores[tag] = score
    return sorted(scores, key=lambda t: (-scores[t], t))[:limit]
