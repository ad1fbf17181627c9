"""Salon-level model: how many members sign up for a salon plan (past salons -> regression).

A plan is a row of the EVENTS frame (title, tags, start, capacity, price, created_at = when it
is announced). Its features (PLAN_FEATURES) use only salons that started before its cutoff:
the community's level and trend of signups, how salons with its tags, a similar title, its
weekday and its daypart did compared with the others (recency-weighted, so demand that moves
is followed), lead time, price, capacity, the number of eligible members, how well its text
matches what members wrote lately, and the member model's sum of probabilities (sum_p) when
given. A ridge regression learns, from past salons, how log(1 + signups) differs from
log(1 + the mean of the previous salons); the 80 % interval comes
from the residuals of salons predicted by models that had not seen them (walking forward in
time with 10 or more salons, else shuffled folds: split conformal), so it is calibrated on
salons the model did not see. Signups count yes and waitlist (the demand, whatever the capacity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import Ridge
from sklearn.model_selection import KFold, TimeSeriesSplit, cross_val_predict
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from recommender import frames
from recommender.pairs import salon_document

PLAN_FEATURES: tuple[str, ...] = (
    "log_n_prev",
    "log_prev_mean",
    "log_recent_mean",
    "log_last",
    "log_members",
    "tag_demand",
    "title_demand",
    "weekday_demand",
    "daypart_demand",
    "chat_match",
    "lead_days",
    "log_price",
    "log_capacity",
    "n_tags",
    "log_sum_p",
    "has_sum_p",
)
MIN_PLAN_SALONS = 5
RECENT = 3
HALF_LIFE = 6.0  # salons: older salons count half as much in the demand estimates
INTERVAL = 0.8
# OpenMP threads of the booster: salon tables are small, and on a small shared host more
# threads only wait for each other (a fit took 6-12x longer on 2 busy cores).
N_THREADS = 1
_VECTORIZER = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 3), n_features=2**14,
                                alternate_sign=False, norm="l2")  # fmt: skip


class NotEnoughHistory(ValueError):
    """The community has too few past salons with signups to predict a plan."""


def daypart(hour: int) -> int:
    """0 night, 1 morning, 2 afternoon, 3 evening (hours in the salon's clock)."""
    return int(hour) // 6


def signup_counts(events: pd.DataFrame, signups: pd.DataFrame) -> pd.Series:
    """Signups (yes or waitlist) per salon, 0 for salons without any (index event_id)."""
    yes = signups[signups["status"].isin(frames.POSITIVE_STATUSES)]
    counts = yes.groupby("event_id").size()
    return counts.reindex(events["event_id"].to_numpy(), fill_value=0).astype(float)


def _weighted_lift(values: np.ndarray, weights: np.ndarray, base: float) -> float:
    """Recency-weighted mean of values minus the base (0 without weight).

    Rounded to 1e-9: when every past salon is alike the lift is 0 up to float noise (1e-16),
    which standardising would blow up to a huge value at the first salon that differs."""
    total = weights.sum()
    return round(float((values * weights).sum() / total - base), 9) if total > 0 else 0.0


def _eligible(members: pd.DataFrame | None, community_id: int, cutoffs: np.ndarray) -> np.ndarray:
    """Members of the community who joined before each cutoff (unknown join counts)."""
    if members is None or not len(members):
        return np.full(len(cutoffs), np.nan)
    m = members[members["community_id"] == community_id]
    unknown = int(m["joined_at"].isna().sum())
    joined = np.sort(_naive_utc(m["joined_at"].dropna()))
    return unknown + np.searchsorted(joined, _naive_utc(cutoffs), side="left")


def _naive_utc(values) -> np.ndarray:
    """Timestamps (aware or UTC-naive) as naive UTC datetime64[ns]."""
    index = pd.DatetimeIndex(pd.to_datetime(values, utc=True))
    return index.tz_convert(None).to_numpy(dtype="datetime64[ns]")


def _chat_match(texts: pd.DataFrame | None, community_id: int, cutoffs, docs) -> np.ndarray:
    """Similarity of each salon's text to what members wrote in the 30 days before its cutoff."""
    out = np.zeros(len(docs))
    if texts is None or not len(texts):
        return out
    mine = texts[texts["community_id"] == community_id]
    if mine.empty:
        return out
    sent = _naive_utc(mine["sent_at"])
    order = np.argsort(sent)
    sent, text = sent[order], mine["text"].astype(str).to_numpy()[order]
    salon_vec = _VECTORIZER.transform(docs)
    for i, cutoff in enumerate(_naive_utc(cutoffs)):
        lo = np.searchsorted(sent, cutoff - np.timedelta64(30, "D"))
        hi = np.searchsorted(sent, cutoff)
        if hi > lo:
            chat = _VECTORIZER.transform([" ".join(text[max(lo, hi - 2000) : hi])])
            out[i] = float(salon_vec[i].multiply(chat).sum())
    return out


def _community_table(
    past: pd.DataFrame, plans: pd.DataFrame, members, texts, community_id: int
) -> pd.DataFrame:
    """PLAN_FEATURES of `plans` (rows of EVENTS) against the community's `past` salons."""
    past = past.sort_values(["starts_at", "event_id"])
    p_start = _naive_utc(past["starts_at"])
    p_y = np.log1p(past["signups"].to_numpy(dtype=float))
    p_tags = [frames.split_tags(t) for t in past["tags"]]
    p_local = past["local_start"]
    p_weekday = p_local.dt.weekday.to_numpy()
    p_daypart = (p_local.dt.hour // 6).to_numpy()
    p_vec = _VECTORIZER.transform([salon_document(e) for _, e in past.iterrows()])
    docs = [salon_document(e) for _, e in plans.iterrows()]
    vec = _VECTORIZER.transform(docs)
    similarity = (vec @ p_vec.T).toarray() if len(past) else np.zeros((len(plans), 0))
    cutoffs = _naive_utc(plans["cutoff"])
    rows = []
    for i, (_, plan) in enumerate(plans.iterrows()):
        n = int(np.searchsorted(p_start, cutoffs[i], side="left"))
        y = p_y[:n]
        weights = 0.5 ** ((n - 1 - np.arange(n)) / HALF_LIFE)
        base = float((y * weights).sum() / weights.sum()) if n else 0.0
        tags = frames.split_tags(plan["tags"])
        with_tag = np.array([bool(t & tags) for t in p_tags[:n]], dtype=bool)
        sim = similarity[i, :n]
        local = plan["local_start"]
        row = {
            "n_prev": n,
            "log_n_prev": math.log1p(n),
            "prev_mean": float(np.expm1(y).mean()) if n else np.nan,
            "log_prev_mean": float(np.log1p(np.expm1(y).mean())) if n else 0.0,
            "log_recent_mean": float(np.log1p(np.expm1(y[-RECENT:]).mean())) if n else 0.0,
            "log_last": float(y[-1]) if n else 0.0,
            "tag_demand": _weighted_lift(y[with_tag], weights[with_tag], base),
            "title_demand": _weighted_lift(y, weights * sim**2, base) if n else 0.0,
            "weekday_demand": _weighted_lift(
                y[p_weekday[:n] == local.weekday()], weights[p_weekday[:n] == local.weekday()], base
            ),  # fmt: skip
            "daypart_demand": _weighted_lift(
                y[p_daypart[:n] == daypart(local.hour)],
                weights[p_daypart[:n] == daypart(local.hour)],
                base,
            ),  # fmt: skip
            "lead_days": float(
                np.clip((plan["starts_at"] - plan["cutoff"]) / pd.Timedelta(days=1), 0, 60)
            ),  # fmt: skip
            "log_price": math.log1p(max(float(np.nan_to_num(plan["price"])), 0.0)),
            "log_capacity": math.log1p(max(float(np.nan_to_num(plan["capacity"])), 0.0)),
            "n_tags": float(len(tags)),
        }
        rows.append(row)
    out = pd.DataFrame(rows, index=plans.index)
    out["log_members"] = np.log1p(np.nan_to_num(
        _eligible(members, community_id, cutoffs), nan=0.0))  # fmt: skip
    out["chat_match"] = _chat_match(texts, community_id, cutoffs, docs)
    return out


def _prepared(events: pd.DataFrame, timezone: str | None) -> pd.DataFrame:
    out = events.copy()
    out["cutoff"] = frames.event_cutoffs(events).to_numpy()
    out["local_start"] = out["starts_at"].dt.tz_convert(timezone or "UTC")
    return out


def salon_table(
    events: pd.DataFrame,
    counts: pd.Series,
    members: pd.DataFrame | None = None,
    texts: pd.DataFrame | None = None,
    sum_p: pd.Series | None = None,
    plans: pd.DataFrame | None = None,
    timezone: str | None = None,
) -> pd.DataFrame:
    """One row per salon of `plans` (default: every salon of `events`) with PLAN_FEATURES,
    n_prev, prev_mean, sum_p and, for past salons, signups; index event_id.

    `counts` are the signups of the past salons (index event_id; see signup_counts).

    Features of a salon use only the salons of its community that started before its cutoff.
    `sum_p` (index event_id) is the member model's expected signups per salon, when known.
    """
    frames.check_frame(events, frames.EVENTS, "events")
    history = _prepared(events, timezone)
    history["signups"] = counts.reindex(events["event_id"].to_numpy()).fillna(0.0).to_numpy()
    targets = history if plans is None else _prepared(plans, timezone)
    parts = []
    for cid, group in targets.groupby("community_id", sort=False):
        past = history[history["community_id"] == cid]
        parts.append(_community_table(past, group, members, texts, int(cid)))
    columns = [*PLAN_FEATURES, "n_prev", "prev_mean", "sum_p", "signups"]
    if not parts:
        empty = pd.DataFrame(columns=columns, index=pd.Index([], name="event_id"), dtype=float)
        for name in ("starts_at", "cutoff"):
            empty[name] = pd.Series(dtype="datetime64[ns, UTC]")
        return empty.assign(community_id=pd.Series(dtype="int64"))
    table = pd.concat(parts).reindex(targets.index)
    table.index = pd.Index(targets["event_id"].to_numpy(), name="event_id")
    given = (sum_p.reindex(table.index) if sum_p is not None
             else pd.Series(np.nan, index=table.index))  # fmt: skip
    table["sum_p"] = given.to_numpy(dtype=float)
    table["has_sum_p"] = given.notna().astype(float).to_numpy()
    table["log_sum_p"] = np.log1p(given.fillna(0.0).clip(lower=0.0)).to_numpy()
    known = history.set_index("event_id")["signups"]
    table["signups"] = known.reindex(table.index).to_numpy() if plans is None else np.nan
    table["starts_at"] = targets["starts_at"].to_numpy()
    table["cutoff"] = targets["cutoff"].to_numpy()
    table["community_id"] = targets["community_id"].to_numpy()
    return table[[*columns, "starts_at", "cutoff", "community_id"]]


BOOST_MIN_SALONS = 300  # below this many past salons the ridge is steadier than trees


class TrainingRange(BaseEstimator, TransformerMixin):
    """Clips each feature to the range it had in training, so the ridge never extrapolates.

    With a handful of past salons a feature can barely vary (standard deviation 0.05) and a
    plan can lie far outside it: in the demo one afternoon salon that drew well put an
    afternoon plan's daypart_demand 13 standard deviations out and tripled its forecast."""

    def fit(self, x, y=None) -> TrainingRange:
        """Learn each column's smallest and largest value."""
        values = np.asarray(x, dtype=float)
        self.low_, self.high_ = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
        return self

    def transform(self, x) -> np.ndarray:
        """The features, each clipped to its training range."""
        return np.clip(np.asarray(x, dtype=float), self.low_, self.high_)


def build_plan_pipeline(alpha: float = 3.0, n_salons: int = 0, random_state: int = 0) -> Pipeline:
    """A fresh unfitted pipeline over PLAN_FEATURES: standardised ridge regression, or with
    BOOST_MIN_SALONS past salons or more (pooled communities, e.g. imported history) shallow
    gradient boosting, which learns where the previous salons' mean holds and where not."""
    columns = ColumnTransformer([("features", "passthrough", list(PLAN_FEATURES))],
                                remainder="drop", verbose_feature_names_out=False)  # fmt: skip
    if n_salons >= BOOST_MIN_SALONS:
        booster = HistGradientBoostingRegressor(max_iter=200, learning_rate=0.05,
                                                max_leaf_nodes=8, min_samples_leaf=20,
                                                random_state=random_state)  # fmt: skip
        return Pipeline([("columns", columns), ("boost", booster)])
    return Pipeline([("columns", columns), ("range", TrainingRange()), ("scale", StandardScaler()),
                     ("ridge", Ridge(alpha))])  # fmt: skip


@dataclass
class PlanModel:
    """A fitted salon-level model and its calibrated residual quantiles (log scale)."""

    pipeline: Pipeline
    low: float
    high: float
    n_salons: int
    reason: str

    def predict(self, table: pd.DataFrame) -> pd.DataFrame:
        """expected, low, high signups per row of a salon_table."""
        with threadpool_limits(limits=N_THREADS):
            mean = self.pipeline.predict(table[list(PLAN_FEATURES)]) + _offset(table)
        return pd.DataFrame({
            "expected": np.expm1(mean).clip(min=0.0),
            "low": np.expm1(mean + self.low).clip(min=0.0),
            "high": np.expm1(mean + self.high).clip(min=0.0),
        }, index=table.index)  # fmt: skip


def usable(table: pd.DataFrame) -> pd.DataFrame:
    """Past salons a model can learn from: a known outcome and at least one earlier salon."""
    return table[table["signups"].notna() & (table["n_prev"] >= 1)]


def _offset(table: pd.DataFrame) -> np.ndarray:
    """The naive prediction the model corrects: log(1 + mean signups of earlier salons).

    Learning the correction (not the level) means the ridge's shrinkage pulls towards "like
    the previous salons", never towards other communities' level."""
    return table["log_prev_mean"].to_numpy(dtype=float)


def _forward_residuals(x: pd.DataFrame, y: np.ndarray, alpha: float, random_state: int):
    """Residuals of salons predicted by models that did not see them: walking forward in time
    (as the model is used: later salons from earlier ones) when there are enough salons,
    else shuffled folds."""
    if len(y) >= 2 * MIN_PLAN_SALONS:
        residuals = []
        for train_idx, test_idx in TimeSeriesSplit(n_splits=5).split(x):
            if len(train_idx) < MIN_PLAN_SALONS:
                continue
            model = build_plan_pipeline(alpha, len(train_idx), random_state)
            model.fit(x.iloc[train_idx], y[train_idx])
            residuals.append(y[test_idx] - model.predict(x.iloc[test_idx]))
        if residuals and sum(len(r) for r in residuals) >= MIN_PLAN_SALONS:
            return np.concatenate(residuals)
    folds = KFold(n_splits=min(5, len(y)), shuffle=True, random_state=random_state)
    return y - cross_val_predict(build_plan_pipeline(alpha, len(y), random_state), x, y, cv=folds)


def fit_plan_model(table: pd.DataFrame, alpha: float = 3.0, random_state: int = 0) -> PlanModel:
    """Fit on past salons (rows of salon_table); NotEnoughHistory with too few of them."""
    train = usable(table)
    if len(train) < MIN_PLAN_SALONS or train["signups"].sum() <= 0:
        raise NotEnoughHistory(f"not enough data: {len(train)} past salons with an earlier one "
                               f"(need {MIN_PLAN_SALONS}, with signups)")  # fmt: skip
    train = train.sort_values("starts_at", kind="stable")
    x = train[list(PLAN_FEATURES)]
    y = np.log1p(train["signups"].to_numpy(dtype=float)) - _offset(train)
    with threadpool_limits(limits=N_THREADS):
        residuals = _forward_residuals(x, y, alpha, random_state)
        pipeline = build_plan_pipeline(alpha, len(y), random_state).fit(x, y)
    tail = (1.0 - INTERVAL) / 2
    return PlanModel(pipeline, float(np.quantile(residuals, tail)),
                     float(np.quantile(residuals, 1.0 - tail)), len(train),
                     f"salon model: {'boosting' if 'boost' in pipeline.named_steps else 'ridge'}"
                     f" on {len(train)} past salons, 80 % interval from forward residuals"
                     )  # fmt: skip


def eligible_counts(members: pd.DataFrame, events: pd.DataFrame) -> pd.Series:
    """Members of each salon's community who joined before its cutoff (index event_id)."""
    cutoffs = frames.event_cutoffs(events)
    out = pd.Series(0.0, index=cutoffs.index)
    for cid, group in events.groupby("community_id"):
        ids = group["event_id"].to_numpy()
        out.loc[ids] = _eligible(members, int(cid), cutoffs.loc[ids].to_numpy())
    return out


def sum_p_from_pairs(
    pairs: pd.DataFrame, probabilities: np.ndarray, members: pd.DataFrame, events: pd.DataFrame
) -> pd.Series:
    """The member model's expected signups per salon from its (possibly sampled) pairs: the
    mean probability of the paired members times the salon's eligible members."""
    if not len(pairs):
        return pd.Series(dtype=float)
    mean = pd.Series(probabilities, index=pairs.index).groupby(pairs["event_id"]).mean()
    return mean * eligible_counts(members, events).reindex(mean.index).fillna(0.0)


def show_rate(outcomes: pd.DataFrame, default: float = 0.85) -> float:
    """Share of going members who came, over salons with recorded attendance (a default
    without any)."""
    checked = outcomes["checked"].sum() if len(outcomes) else 0.0
    return float(outcomes["attended"].sum() / checked) if checked > 0 else default
