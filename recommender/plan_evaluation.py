"""Backtest of the salon-level model (recommender/plans.py) next to its baselines."""

from __future__ import annotations

import pandas as pd

from recommender.evaluation import split_events
from recommender.model import ModelParams, fit_pairs, predict_pairs
from recommender.plans import plan_backtest, salon_table, sum_p_from_pairs


def evaluate_plans(
    pairs: pd.DataFrame,
    members: pd.DataFrame,
    events: pd.DataFrame,
    counts: pd.Series,
    texts: pd.DataFrame | None = None,
    params: ModelParams | None = None,
    timezone: str | None = None,
) -> dict:
    """Predicted vs actual signups per past salon: the salon model with the member model's
    sum of probabilities (sum_p), the salon model without it, sum_p alone and the mean of the
    previous salons.

    The member model is fitted on the earlier 70 % of the salons (evaluation.split_events),
    so sum_p is out of sample for the later salons the backtest predicts.
    """
    params = params or ModelParams()
    train_ids, _ = split_events(events, 0.3)
    sum_p = None
    if len(pairs):
        trained = fit_pairs(pairs[pairs["event_id"].isin(train_ids)], params)
        sum_p = sum_p_from_pairs(pairs, predict_pairs(trained, pairs), members, events)
    table = salon_table(events, counts, members, texts, sum_p, timezone=timezone)
    report = plan_backtest(table)
    if report["outcome"] != "ok":
        return report
    alone = plan_backtest(table.assign(sum_p=float("nan"), log_sum_p=0.0, has_sum_p=0.0))
    report["baselines"]["salon_features_only"] = alone["model"]
    return report
