"""Time-split backtest of the participation model against simple baselines."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from recommender import frames
from recommender.activity import ActivitySource
from recommender.model import ModelParams, fit_pairs, predict_pairs
from recommender.pairs import build_pairs

TOP_K = 10


def _precision_at_k(pairs: pd.DataFrame, scores: np.ndarray, rng: np.random.Generator) -> float:
    """Mean over salons of the share of signups among the K highest scored (random tie-break)."""
    df = pd.DataFrame(
        {
            "event_id": pairs["event_id"].to_numpy(),
            "label": pairs["label"].to_numpy(),
            "score": scores,
            "tie": rng.random(len(pairs)),
        }
    )
    df = df.sort_values(["event_id", "score", "tie"], ascending=[True, False, True])
    top = df.groupby("event_id").head(TOP_K)
    return float(top.groupby("event_id")["label"].mean().mean())


def metrics_block(
    pairs: pd.DataFrame, scores: np.ndarray, rng: np.random.Generator, probabilistic: bool = True
) -> dict[str, float | None]:
    """auc, average_precision, precision_at_10 and brier (None where undefined)."""
    y = pairs["label"].to_numpy()
    two_classes = 0 < y.sum() < len(y)
    return {
        "auc": float(roc_auc_score(y, scores)) if two_classes else None,
        "average_precision": float(average_precision_score(y, scores)) if two_classes else None,
        "precision_at_10": _precision_at_k(pairs, scores, rng) if len(y) else None,
        "brier": float(brier_score_loss(y, scores)) if probabilistic and len(y) else None,
    }


def split_events(events: pd.DataFrame, test_share: float) -> tuple[list[int], list[int]]:
    """Earlier salons train, the latest `test_share` test; training salons must have started
    before the first test salon's cutoff so no outcome is used before it was known."""
    ordered = events.sort_values(["starts_at", "event_id"])
    n_test = max(1, math.ceil(test_share * len(ordered))) if len(ordered) > 1 else 0
    test = ordered.iloc[len(ordered) - n_test :]
    first_cutoff = frames.event_cutoffs(test).min() if n_test else None
    train = ordered.iloc[: len(ordered) - n_test]
    if first_cutoff is not None:
        train = train[train["starts_at"] < first_cutoff]
    return train["event_id"].tolist(), test["event_id"].tolist()


def backtest(
    members: pd.DataFrame,
    rollups: pd.DataFrame | ActivitySource,
    events: pd.DataFrame,
    signups: pd.DataFrame,
    invitations: pd.DataFrame,
    texts: pd.DataFrame | None = None,
    test_share: float = 0.3,
    params: ModelParams | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Train on earlier salons, score later ones at their own cutoffs; JSON-ready metrics."""
    params = params or ModelParams()
    train_ids, test_ids = split_events(events, test_share)
    pairs = build_pairs(members, rollups, events, signups, invitations, train_ids + test_ids,
                        texts, progress=progress, sampling=params.sampling())  # fmt: skip
    return backtest_pairs(pairs, events, test_share, params)


def backtest_pairs(
    pairs: pd.DataFrame,
    events: pd.DataFrame,
    test_share: float = 0.3,
    params: ModelParams | None = None,
) -> dict[str, Any]:
    """The backtest on pairs already built (each salon's, at its cutoff) for `events`.

    With sampled pairs (ModelParams.sampling) the test metrics are estimated on each later
    salon's uniform sample of members; precision_at_10 is then the share of signups among
    the 10 highest scored of that sample.
    """
    params = params or ModelParams()
    train_ids, test_ids = split_events(events, test_share)
    train_pairs = pairs[pairs["event_id"].isin(train_ids)]
    test_pairs = pairs[pairs["event_id"].isin(test_ids)].reset_index(drop=True)
    trained = fit_pairs(train_pairs, params)
    rng = np.random.default_rng(params.random_state)
    scores = predict_pairs(trained, test_pairs)
    baselines = {
        "random": metrics_block(test_pairs, rng.random(len(test_pairs)), rng),
        "popularity": metrics_block(
            test_pairs, test_pairs["joined"].to_numpy(float), rng, probabilistic=False
        ),
        "recent_activity": metrics_block(
            test_pairs, test_pairs["messages_30d"].to_numpy(float), rng, probabilistic=False
        ),
    }
    return {
        "events": len(test_ids),
        "pairs": len(test_pairs),
        "positives": int(test_pairs["label"].sum()),
        "train_events": len(train_ids),
        "train_pairs": len(train_pairs),
        "train_positives": int(train_pairs["label"].sum()),
        "model_kind": trained.kind,
        "reason": trained.reason,
        "model": metrics_block(test_pairs, scores, rng),
        "baselines": baselines,
    }
