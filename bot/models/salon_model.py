"""The salon-level model of a model run (recommender/plans.py): fitted, saved and loaded.

A run fits it on the community's past salons after the member model, with the member
model's sum of probabilities per past salon as one feature; it is saved next to the member
model (`...-plan.joblib`). Too little history leaves no file: `load_salon_model` then says so.
"""

from __future__ import annotations

from pathlib import Path

import joblib
import pandas as pd

from recommender.model import TrainedModel, predict_pairs
from recommender.plans import (
    NotEnoughHistory,
    PlanModel,
    fit_plan_model,
    salon_table,
    sum_p_from_pairs,
)

PLAN_MODEL_VERSION = "salonbot-plan-1"


def plan_path(model_path: str | Path) -> Path:
    """Where the salon-level model of a run with this member model file lives."""
    path = Path(model_path)
    return path.with_name(path.stem + "-plan.joblib")


def fit_salon_model(
    trained: TrainedModel,
    pairs: pd.DataFrame,
    members: pd.DataFrame,
    past: pd.DataFrame,
    counts: pd.Series,
    texts: pd.DataFrame | None,
    timezone: str,
    random_state: int,
) -> tuple[PlanModel | None, str]:
    """The salon-level model on past salons (None and why when history is too thin)."""
    sum_p = sum_p_from_pairs(pairs, predict_pairs(trained, pairs), members, past)
    table = salon_table(past, counts, members, texts, sum_p, timezone=timezone)
    try:
        model = fit_plan_model(table, random_state=random_state)
    except NotEnoughHistory as error:
        return None, str(error)
    return model, model.reason


def save_salon_model(model: PlanModel, path: Path) -> None:
    """Persist a salon-level model with its format version."""
    joblib.dump({"version": PLAN_MODEL_VERSION, "model": model}, path)


def load_salon_model(path: Path) -> PlanModel | None:
    """The saved salon-level model, or None when the run had too little history for one."""
    if not path.is_file():
        return None
    blob = joblib.load(path)
    if not isinstance(blob, dict) or blob.get("version") != PLAN_MODEL_VERSION:
        return None
    return blob["model"]
