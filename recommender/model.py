"""Participation model: who will sign up for a salon (gradient boosting, or a documented prior)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.pipeline import Pipeline
from threadpoolctl import threadpool_limits

from recommender import frames
from recommender.activity import ActivitySource
from recommender.pairs import (
    MODEL_FEATURES,
    PairSources,
    Sampling,
    build_pairs,
    eligible_members,
    event_cutoff,
    pairs_for,
)

MODEL_VERSION = "salonbot-participation-1"
DEFAULT_BASE_RATE = 0.05
Z90 = 1.6448536269514722


@dataclass
class ModelParams:
    """Training knobs; random_state drives every random choice."""

    random_state: int = 0
    # Training pairs: a panel of at most panel_size members per community, each past salon
    # paired with at most max_pairs_per_event of them (uniform samples; pairs.Sampling), so
    # the cost grows with the number of salons, not members x salons.
    panel_size: int | None = 3000
    max_pairs_per_event: int | None = 600
    max_pairs: int = 200_000
    min_events: int = 3
    min_positives: int = 20
    calibrate_min_positives: int = 100
    max_iter: int = 150
    learning_rate: float = 0.03
    max_leaf_nodes: int = 4
    min_samples_leaf: int = 50
    l2_regularization: float = 5.0
    # OpenMP threads of the booster: pair sets of one community are small, and on small
    # machines more threads than cores slow fitting down by an order of magnitude.
    n_threads: int = 1

    def sampling(self) -> Sampling:
        """The training pairs' sampling."""
        return Sampling(self.panel_size, self.max_pairs_per_event, self.random_state)


@dataclass
class TrainedModel:
    """A fitted pipeline (kind 'model') or the prior fallback (kind 'prior'), and why."""

    pipeline: Pipeline | None
    kind: str
    reason: str
    metrics: dict[str, Any]
    n_pairs: int
    params: ModelParams
    negative_rate: float = 1.0
    base_rate: float = DEFAULT_BASE_RATE
    version: str = MODEL_VERSION
    features: tuple[str, ...] = field(default_factory=lambda: MODEL_FEATURES)


class FillEmptyColumns(BaseEstimator, TransformerMixin):
    """Features without a single value in training become 0 (at fit and predict time).

    They carry no signal, and scikit-learn's histogram booster fails to bin a column that is
    entirely missing (e.g. `avg_rating` for imported history, which has no ratings).
    """

    def fit(self, x, y=None) -> FillEmptyColumns:
        """Remember which columns are entirely missing."""
        self.empty_ = np.isnan(np.asarray(x, dtype=float)).all(axis=0)
        return self

    def transform(self, x) -> np.ndarray:
        """A copy of `x` with the remembered columns set to 0."""
        out = np.array(x, dtype=float)
        out[:, self.empty_] = 0.0
        return out


def build_pipeline(config: ModelParams, calibrate: bool = False) -> Pipeline:
    """A fresh unfitted pipeline: select MODEL_FEATURES, fill empty columns, then (calibrated)
    gradient boosting."""
    columns = ColumnTransformer(
        [("features", "passthrough", list(MODEL_FEATURES))],
        remainder="drop",
        verbose_feature_names_out=False,
    )
    booster = HistGradientBoostingClassifier(
        max_iter=config.max_iter,
        learning_rate=config.learning_rate,
        max_leaf_nodes=config.max_leaf_nodes,
        min_samples_leaf=config.min_samples_leaf,
        l2_regularization=config.l2_regularization,
        early_stopping=False,
        random_state=config.random_state,
    )
    classifier = CalibratedClassifierCV(booster, method="sigmoid", cv=3) if calibrate else booster
    return Pipeline(
        [("columns", columns), ("fill", FillEmptyColumns()), ("classifier", classifier)]
    )


def _sample(pairs: pd.DataFrame, params: ModelParams) -> tuple[pd.DataFrame, float]:
    """Keep every positive; sample negatives (seeded) down to max_pairs in total."""
    if len(pairs) <= params.max_pairs:
        return pairs, 1.0
    pos, neg = pairs[pairs["label"] == 1], pairs[pairs["label"] == 0]
    keep = max(params.max_pairs - len(pos), 1)
    if keep >= len(neg):
        return pairs, 1.0
    sampled = neg.sample(n=keep, random_state=params.random_state)
    return pd.concat([pos, sampled]).sort_index(), keep / len(neg)


def fit_pairs(pairs: pd.DataFrame, params: ModelParams | None = None) -> TrainedModel:
    """Fit on labelled pairs, or fall back to the prior when history is too thin."""
    params = params or ModelParams()
    n_events = int(pairs["event_id"].nunique()) if len(pairs) else 0
    positives = int(pairs["label"].sum()) if len(pairs) else 0
    base_rate = positives / len(pairs) if positives else DEFAULT_BASE_RATE
    metrics = {"events": n_events, "positives": positives, "base_rate": base_rate}
    negatives = len(pairs) - positives
    if n_events < params.min_events or positives < params.min_positives or negatives < 1:
        reason = (
            f"prior: only {n_events} past salons and {positives} signups "
            f"(need {params.min_events} and {params.min_positives}); "
            "p = base_rate * engagement * affinity"
        )
        if negatives < 1 and positives:
            reason = (f"prior: every one of the {positives} member pairs of {n_events} past "
                      "salons signed up, nothing to tell apart; "
                      "p = base_rate * engagement * affinity")  # fmt: skip
        return TrainedModel(None, "prior", reason, metrics, len(pairs), params, base_rate=base_rate)
    sample, rate = _sample(pairs, params)
    # Calibration's 3 stratified folds need 3 of each class.
    calibrate = positives >= params.calibrate_min_positives and negatives >= 3
    pipeline = build_pipeline(params, calibrate=calibrate)
    with threadpool_limits(limits=params.n_threads):
        pipeline.fit(sample[list(MODEL_FEATURES)], sample["label"].to_numpy())
    reason = (
        f"model: gradient boosting on {len(sample)} pairs from {n_events} salons"
        + (", calibrated" if calibrate else "")
        + (f", negatives sampled at {rate:.3f}" if rate < 1 else "")
    )
    return TrainedModel(
        pipeline,
        "model",
        reason,
        metrics,
        len(pairs),
        params,
        negative_rate=rate,
        base_rate=base_rate,
    )


def train(
    members: pd.DataFrame,
    rollups: pd.DataFrame | ActivitySource,
    events: pd.DataFrame,
    signups: pd.DataFrame,
    invitations: pd.DataFrame,
    texts: pd.DataFrame | None = None,
    params: ModelParams | None = None,
    event_ids: Iterable[int] | None = None,
    progress: bool = False,
) -> TrainedModel:
    """Train on past salons (`event_ids`, default all in `events`), each at its own cutoff."""
    params = params or ModelParams()
    pairs = build_pairs(members, rollups, events, signups, invitations, event_ids, texts,
                        progress=progress, sampling=params.sampling())  # fmt: skip
    return fit_pairs(pairs, params)


def prior_probability(pairs: pd.DataFrame, base_rate: float) -> np.ndarray:
    """Fallback p = base_rate * engagement * affinity, each factor normalised to mean 1."""
    activity = pairs["messages_30d"] + pairs["reactions_given_30d"] + 2 * pairs["joined"]
    engagement = 1.0 + np.log1p(activity.to_numpy(dtype=float))
    affinity = 1.0 + 2.0 * (pairs["tag_affinity"] + pairs["text_similarity"]).to_numpy(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = base_rate * engagement / engagement.mean() * affinity / affinity.mean()
    return np.clip(np.nan_to_num(p, nan=base_rate, posinf=0.95, neginf=0.0), 0.0, 0.95)


def predict_pairs(trained: TrainedModel, pairs: pd.DataFrame) -> np.ndarray:
    """Signup probabilities of feature pairs (undoing negative sampling)."""
    if len(pairs) == 0:
        return np.zeros(0)
    if trained.pipeline is None:
        return prior_probability(pairs, trained.base_rate)
    with threadpool_limits(limits=trained.params.n_threads):
        p = trained.pipeline.predict_proba(pairs[list(trained.features)])[:, 1]
    r = trained.negative_rate
    p = p * r / (p * r + (1.0 - p)) if r < 1.0 else p
    # A model is only ever a probability: NaN or ±inf (from absurd inputs) becomes 0 or 1.
    return np.clip(np.nan_to_num(p, nan=trained.base_rate, posinf=1.0, neginf=0.0), 0.0, 1.0)


def score(
    trained: TrainedModel,
    members: pd.DataFrame,
    rollups: pd.DataFrame | ActivitySource,
    events: pd.DataFrame,
    signups: pd.DataFrame,
    invitations: pd.DataFrame,
    event: int | pd.Series,
    texts: pd.DataFrame | None = None,
    cutoff: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Every eligible member's probability of signing up for `event` (an id or an events row)."""
    sources = PairSources.of(members, rollups, events, signups, invitations, texts)
    return score_event(trained, sources, event, cutoff)


def score_event(
    trained: TrainedModel,
    sources: PairSources,
    event: int | pd.Series,
    cutoff: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """`score` on sources already indexed: user_id and probability, most likely first."""
    events = sources.events
    if not isinstance(event, pd.Series):
        frames.check_frame(events, frames.EVENTS, "events")
        match = events[events["event_id"] == event]
        if match.empty:
            raise ValueError(f"unknown event_id {event!r}")
        event = match.iloc[0]
    cutoff = event_cutoff(event) if cutoff is None else cutoff
    cand = eligible_members(sources.members, event, cutoff)
    pairs = pairs_for(sources, event, cand, cutoff)
    out = pd.DataFrame(
        {"user_id": pairs["user_id"].to_numpy(), "probability": predict_pairs(trained, pairs)}
    )
    return out.sort_values(["probability", "user_id"], ascending=[False, True], ignore_index=True)


def expected_turnout(probabilities: Sequence[float] | pd.Series) -> tuple[float, float, float]:
    """Expected signups sum(p) with a normal-approximation 90 % interval from sum p(1-p)."""
    p = np.asarray(probabilities, dtype=float)
    mean = float(p.sum())
    sd = math.sqrt(float((p * (1 - p)).sum()))
    return mean, max(0.0, mean - Z90 * sd), mean + Z90 * sd


def save_model(trained: TrainedModel, path: str | Path) -> None:
    """Persist a trained model with the format and scikit-learn versions."""
    joblib.dump(
        {
            "version": MODEL_VERSION,
            "sklearn": sklearn.__version__,
            "model": trained,
            "params": asdict(trained.params),
        },
        Path(path),
    )


def load_model(path: str | Path) -> TrainedModel:
    """Load a model saved by save_model; refuses other format versions."""
    blob = joblib.load(Path(path))
    if not isinstance(blob, dict) or blob.get("version") != MODEL_VERSION:
        raise ValueError(f"{path}: not a {MODEL_VERSION} model file")
    return blob["model"]
