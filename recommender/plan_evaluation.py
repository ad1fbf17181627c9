"""Backtest of the salon-level model (recommender/plans.py) next to its baselines."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from recommender.evaluation import split_events
from recommender.model import ModelParams, fit_pairs, predict_pairs
from recommender.plans import (
    MIN_PLAN_SALONS,
    NotEnoughHistory,
    fit_plan_model,
    salon_table,
    sum_p_from_pairs,
    usable,
)


def evaluate_plans(
    pairs: pd.DataFrame,
    members: pd.DataFrame,
    events: pd.DataFrame,
    counts: pd.Series,
    texts: pd.DataFrame | None = None,
    params: ModelParams | None = None,
    timezone: str | None = None,
    progress: bool = False,
) -> dict:
    """Predicted vs actual signups per past salon: the salon model with the member model's
    sum of probabilities (sum_p), the salon model without it, sum_p alone and the mean of the
    previous salons.

    The member model is fitted on the earlier 70 % of the salons (evaluation.split_events),
    so sum_p is out of sample for the later salons the backtest predicts. `progress` shows
    the walk-forward's refits (tqdm).
    """
    params = params or ModelParams()
    train_ids, _ = split_events(events, 0.3)
    sum_p = None
    if len(pairs):
        trained = fit_pairs(pairs[pairs["event_id"].isin(train_ids)], params)
        sum_p = sum_p_from_pairs(pairs, predict_pairs(trained, pairs), members, events)
    table = salon_table(events, counts, members, texts, sum_p, timezone=timezone)
    report = plan_backtest(table, progress=progress and "salon model")
    if report["outcome"] != "ok":
        return report
    alone = plan_backtest(table.assign(sum_p=float("nan"), log_sum_p=0.0, has_sum_p=0.0),
                          progress=progress and "salon features only")  # fmt: skip
    report["baselines"]["salon_features_only"] = alone["model"]
    return report


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Rank correlation (None when undefined)."""
    if len(a) < 3:
        return None
    ra, rb = pd.Series(a).rank().to_numpy(), pd.Series(b).rank().to_numpy()
    if ra.std() == 0 or rb.std() == 0:
        return None
    return float(np.corrcoef(ra, rb)[0, 1])


def _block(actual: np.ndarray, predicted: np.ndarray) -> dict[str, float | None]:
    return {"mae": float(np.abs(actual - predicted).mean()) if len(actual) else None,
            "spearman": spearman(actual, predicted)}  # fmt: skip


def plan_backtest(
    table: pd.DataFrame, test_share: float = 0.3, refits: int = 50, progress: str | bool = False
) -> dict:
    """Walk forward over the latest `test_share` of salons: each is predicted by a model fitted
    on the salons that started before its cutoff; MAE and Spearman vs the naive mean of the
    previous salons and sum_p alone. {"outcome": "not enough data", ...} on tiny histories.
    `progress` (a label, or True) shows the refits with tqdm."""
    rows = usable(table).sort_values("starts_at")
    n_test = math.ceil(test_share * len(rows))
    test = rows.iloc[len(rows) - n_test :]
    if len(rows) - n_test < MIN_PLAN_SALONS or n_test < 2:
        return {"outcome": "not enough data", "salons": len(rows),
                "need": MIN_PLAN_SALONS + 2}  # fmt: skip
    predicted = np.full(len(test), np.nan)
    low, high = predicted.copy(), predicted.copy()
    step = max(1, math.ceil(len(test) / refits))
    blocks = range(0, len(test), step)
    if progress:
        from tqdm import tqdm

        label = progress if isinstance(progress, str) else "walk forward"
        blocks = tqdm(blocks, desc=label, unit="refit")
    for lo in blocks:
        block = test.iloc[lo : lo + step]
        seen = rows[rows["starts_at"] < block["cutoff"].min()]
        try:
            model = fit_plan_model(seen)
        except NotEnoughHistory:
            continue
        out = model.predict(block)
        predicted[lo : lo + step] = out["expected"].to_numpy()
        low[lo : lo + step], high[lo : lo + step] = out["low"], out["high"]
    ok = ~np.isnan(predicted)
    test, actual = test[ok], test["signups"].to_numpy(dtype=float)[ok]
    report = {
        "outcome": "ok",
        "salons": int(ok.sum()),
        "communities": int(test["community_id"].nunique()),
        "train_salons": len(rows) - n_test,
        "mean_signups": float(actual.mean()) if len(actual) else None,
        "model": {**_block(actual, predicted[ok]),
                  "coverage_80": float(((actual >= low[ok]) & (actual <= high[ok])).mean())},
        "baselines": {"previous_mean": _block(actual, test["prev_mean"].to_numpy(dtype=float))},
    }  # fmt: skip
    with_p = test["sum_p"].notna().to_numpy()
    if with_p.any():
        report["baselines"]["sum_p"] = {
            **_block(actual[with_p], test["sum_p"].to_numpy(dtype=float)[with_p]),
            "salons": int(with_p.sum()),
        }
    return report
