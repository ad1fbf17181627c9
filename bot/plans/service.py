"""Compare salon plans before publishing: expected signups, attendance, revenue, segments.

No Telegram code: `salonbot plan` and /plan both call `predict_plans`. The member model of
the community's latest run gives each plan's sum of probabilities and its segments; the
salon-level model of that run (bot/models/salon_model.py) turns it, with the plan's other
features, into the expected signups and their 80 % interval.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.common.config import Config
from bot.common.i18n import N_
from bot.models.history import fetch_activity, fetch_participation, load_history
from bot.models.salon_model import load_salon_model, plan_path
from bot.models.training import train_community
from bot.salons.input import InputError, OneLiner, future_start
from recommender.activity import as_of
from recommender.model import load_model, score_event
from recommender.pairs import PairSources, Sampling
from recommender.plan_advice import best_slot, unmet_tags
from recommender.plans import salon_table, show_rate
from storage.currencies import to_major
from storage.frames_plans import salon_outcomes_frame
from storage.runs import get_latest_run, get_segments
from storage.types import utcnow

NO_HISTORY = N_("Not enough history to predict plans yet ({reason}). Plans can be compared "
                "once the community has held at least 5 salons with signups.")  # fmt: skip


@dataclass(frozen=True)
class PlanOutcome:
    """What one plan is expected to do."""

    title: str
    starts_at: datetime
    capacity: int
    tags: tuple[str, ...]
    location: str
    price: tuple[int, str]
    expected_signups: float
    signups_low: float
    signups_high: float
    expected_attendance: float
    expected_revenue: float  # in the currency's main unit
    seats_left: float
    waitlist: float
    segments: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class PlanReport:
    """The plans, the best one and why (basis: 'revenue' or 'attendance'), and advice."""

    options: list[PlanOutcome]
    best: int
    basis: str
    reason: str
    slot: tuple[int, int] | None
    tags: list[str]


def _rows(community_id: int, options: list[OneLiner], starts: list[datetime], now) -> pd.DataFrame:
    """The plans as rows of an EVENTS frame (negative ids: they do not exist yet)."""
    return pd.DataFrame({
        "event_id": -np.arange(1, len(options) + 1, dtype=np.int64),
        "community_id": np.full(len(options), community_id, dtype=np.int64),
        "title": [o.title for o in options],
        "description": [o.location for o in options],
        "tags": [";".join(o.tags) for o in options],
        "starts_at": pd.to_datetime(starts, utc=True),
        "capacity": [float(o.capacity) for o in options],
        "price": [to_major(*o.price) if o.price[0] else 0.0 for o in options],
        "created_at": pd.to_datetime([now] * len(options), utc=True),
    })  # fmt: skip


def choose_best(outcomes: list[PlanOutcome]) -> tuple[int, str]:
    """The plan with the most expected revenue when any is paid, else the most attendance."""
    basis = "revenue" if any(o.price[0] for o in outcomes) else "attendance"
    key = (lambda o: (o.expected_revenue, o.expected_attendance)) if basis == "revenue" else (
        lambda o: (o.expected_attendance, o.expected_signups))  # fmt: skip
    return max(range(len(outcomes)), key=lambda i: key(outcomes[i])), basis


async def _models(db: async_sessionmaker, config: Config, community_id: int):
    """The latest run's member and salon-level models (training a run when missing)."""
    async with db.begin() as session:
        run = await get_latest_run(community_id, session=session)
    path = Path(run.model_path or "") if run is not None else None
    if path is None or not await asyncio.to_thread(plan_path(path).is_file):
        await train_community(db, config, community_id)
        async with db.begin() as session:
            run = await get_latest_run(community_id, session=session)
        path = Path(run.model_path or "")
    plan = await asyncio.to_thread(load_salon_model, plan_path(path))
    if plan is None:
        reason = (run.metrics or {}).get("salon_model") or "no salon model"
        raise InputError(NO_HISTORY, reason=reason)
    return await asyncio.to_thread(load_model, path), plan


async def predict_plans(
    db: async_sessionmaker,
    config: Config,
    community_id: int,
    options: list[OneLiner],
    now: datetime | None = None,
) -> PlanReport:
    """Predict each plan; InputError (a msgid) for a past start or too little history."""
    now = now or utcnow()
    community = config.community(community_id)
    timezone = community.timezone if community is not None else "UTC"
    starts = [future_start(o.local_start, timezone, now) for o in options]
    trained, plan_model = await _models(db, config, community_id)
    history = await load_history(db, config, community_id, Sampling(panel_size=0))
    ids = history.members["user_id"].to_numpy()
    cutoff = pd.Timestamp(now)
    await fetch_activity(db, history, [(community_id, as_of(cutoff), ids)])
    await fetch_participation(db, history, community_id,
                              [(cutoff, ";".join(o.tags)) for o in options])  # fmt: skip
    async with db.begin() as session:
        outcomes = await salon_outcomes_frame(community_id, session=session)
        segments = await get_segments(community_id, session=session)
    plans = _rows(community_id, options, starts, now)

    def work():
        sources = PairSources.of(*history.args(), history.texts, history.participation)
        scored = [score_event(trained, sources, row, cutoff) for _, row in plans.iterrows()]
        sum_p = pd.Series([float(s["probability"].sum()) for s in scored],
                          index=plans["event_id"].to_numpy())  # fmt: skip
        counts = outcomes.set_index("event_id")["signups"]
        table = salon_table(history.events, counts, history.members, history.texts, sum_p,
                            plans=plans, timezone=timezone)  # fmt: skip
        predicted = plan_model.predict(table)
        hours = history.activity.aggregates(community_id, as_of(cutoff), ids)
        utc_hours = hours[[f"h{h:02d}" for h in range(24)]].to_numpy(dtype=float).sum(axis=0)
        offset = int(cutoff.tz_convert(timezone).utcoffset().total_seconds() // 3600)
        past = history.events[history.events["starts_at"] < cutoff]
        advice = (best_slot(past, counts, timezone, np.roll(utc_hours, offset)),
                  unmet_tags(past, counts))  # fmt: skip
        return scored, sum_p, predicted, advice

    scored, sum_p, predicted, (slot, tags) = await asyncio.to_thread(work)
    show = show_rate(outcomes)
    results = []
    for i, option in enumerate(options):
        row = predicted.iloc[i]
        expected = float(row["expected"])
        seated = min(expected, float(option.capacity))
        frame = scored[i]
        scale = expected / sum_p.iloc[i] if sum_p.iloc[i] > 0 else 0.0
        by_segment = frame.assign(segment=[segments.get(int(u), "unknown")
                                           for u in frame["user_id"]])  # fmt: skip
        drawn = (by_segment.groupby("segment")["probability"].sum() * scale).round(2)
        results.append(PlanOutcome(
            title=option.title, starts_at=starts[i], capacity=option.capacity,
            tags=option.tags, location=option.location, price=option.price,
            expected_signups=expected, signups_low=float(row["low"]),
            signups_high=float(row["high"]), expected_attendance=seated * show,
            expected_revenue=seated * (to_major(*option.price) if option.price[0] else 0.0),
            seats_left=max(option.capacity - expected, 0.0),
            waitlist=max(expected - option.capacity, 0.0),
            segments={str(k): float(v) for k, v in drawn.sort_values(ascending=False).items()},
        ))  # fmt: skip
    best, basis = choose_best(results)
    return PlanReport(results, best, basis, plan_model.reason, slot, tags)
