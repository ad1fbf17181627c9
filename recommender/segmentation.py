"""Member segments: KMeans on scaled activity features, named by deterministic rules."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import silhouette_score
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

SEGMENT_FEATURES: tuple[str, ...] = (
    "messages_90d",
    "reactions_given_90d",
    "active_days_90d",
    "days_since_active",
    "tenure_days",
    "joined",
)
SEGMENT_NAMES: tuple[str, ...] = (
    "core",
    "active talkers",
    "reactors",
    "lurkers",
    "newcomers",
    "dormant",
)
K_RANGE: tuple[int, ...] = (3, 4, 5, 6)
SILHOUETTE_SAMPLE = 3000
EXACT_KMEANS_MAX = 20_000  # above this, MiniBatchKMeans keeps 200k members in seconds


@dataclass
class Segmentation:
    """Per-member segment, the chosen k, its silhouette, and each cluster's profile."""

    members: pd.DataFrame
    k: int
    silhouette: float
    profiles: pd.DataFrame


def name_segment(profile: pd.Series) -> str:
    """Name a cluster from its mean (unscaled) features; rules, so seeds do not reorder names."""
    if profile["tenure_days"] < 45:
        return "newcomers"
    if profile["joined"] >= 1.5 and profile["messages_90d"] >= 10:
        return "core"
    if (
        profile["reactions_given_90d"] >= 5
        and profile["reactions_given_90d"] > 2 * profile["messages_90d"]
    ):
        return "reactors"
    if profile["messages_90d"] >= 5:
        return "active talkers"
    if (
        profile["days_since_active"] >= 45
        and profile["messages_90d"] + profile["reactions_given_90d"] >= 2
    ):
        return "dormant"
    return "lurkers"


def _matrix(features: pd.DataFrame) -> np.ndarray:
    x = features[list(SEGMENT_FEATURES)].astype(float).fillna(0.0).to_numpy()
    return StandardScaler().fit_transform(np.log1p(np.clip(x, 0, None)))


def segment_members(features: pd.DataFrame, random_state: int = 0) -> Segmentation:
    """Cluster members (index user_id) for k in K_RANGE, keep the best silhouette, name them."""
    x = _matrix(features)
    rng = np.random.default_rng(random_state)
    sample = rng.choice(len(x), size=min(len(x), SILHOUETTE_SAMPLE), replace=False)
    best: tuple[float, int, np.ndarray] | None = None
    for k in K_RANGE:
        if k >= len(x):
            break
        with threadpool_limits(limits=1):  # OpenMP oversubscription is slower on small hosts
            if len(x) <= EXACT_KMEANS_MAX:
                km = KMeans(n_clusters=k, random_state=random_state, n_init=10).fit(x)
            else:
                km = MiniBatchKMeans(
                    n_clusters=k, random_state=random_state, n_init=3, batch_size=4096
                ).fit(x)
        labels = km.labels_
        if len(np.unique(labels[sample])) < 2:
            continue
        sil = float(silhouette_score(x[sample], labels[sample]))
        if best is None or sil > best[0]:
            best = (sil, k, labels)
    if best is None:
        labels, k, sil = np.zeros(len(x), dtype=int), 1, float("nan")
    else:
        sil, k, labels = best
    profiles = features[list(SEGMENT_FEATURES)].astype(float).groupby(labels).mean()
    profiles["size"] = pd.Series(labels).value_counts().sort_index().to_numpy()
    profiles["segment"] = [name_segment(row) for _, row in profiles.iterrows()]
    out = pd.DataFrame(
        {
            "user_id": features.index.to_numpy(),
            "cluster": labels,
            "segment": profiles["segment"].reindex(labels).to_numpy(),
        }
    )
    return Segmentation(members=out, k=k, silhouette=sil, profiles=profiles)
