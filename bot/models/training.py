"""Model runs: stored history -> recommender -> stored segments, scores and a persisted model.

Used by `salonbot train|evaluate|score`, the nightly job and campaigns. The recommender's
CPU-heavy work runs in a worker thread so the bot keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.common.config import Config
from bot.models.history import (
    History,
    fetch_activity,
    fetch_participation,
    load_history,
    training_needs,
)
from bot.models.salon_model import fit_salon_model, plan_path, save_salon_model
from recommender.evaluation import backtest_pairs, split_events
from recommender.features import features_at
from recommender.model import (
    ModelParams,
    TrainedModel,
    expected_turnout,
    fit_pairs,
    load_model,
    save_model,
    score_event,
)
from recommender.pairs import (
    PairSources,
    Sampling,
    build_pairs,
    event_cutoff,
    pair_requests,
    pairs_of_events,
)
from recommender.personal_eval import backtest_members
from recommender.plan_evaluation import evaluate_plans
from recommender.segmentation import segment_members
from storage.frames_plans import salon_outcomes_frame
from storage.models.runs import RUN_FAILED, RUN_OK
from storage.runs import (
    add_run,
    finish_run,
    get_latest_run,
    get_segments,
    replace_scores,
    replace_segments,
)
from storage.salons import get_salon
from storage.types import utcnow

logger = logging.getLogger(__name__)
MIN_BACKTEST_SALONS = 4
MIN_EVALUATE_SALONS = 2


@dataclass
class Stages:
    """Wall seconds of each stage of a run, in order (recorded with the run's metrics)."""

    seconds: dict[str, float] = field(default_factory=dict)
    _last: float = field(default_factory=time.perf_counter)

    def done(self, name: str) -> None:
        """Close the stage `name` (it ran since the previous one closed)."""
        now = time.perf_counter()
        self.seconds[name] = round(self.seconds.get(name, 0.0) + now - self._last, 3)
        self._last = now


@dataclass(frozen=True)
class Candidate:
    """One member's predicted probability of signing up for a salon."""

    user_id: int
    probability: float
    segment: str


@dataclass(frozen=True)
class SalonScores:
    """Every eligible member of a salon's community, most likely first, with the turnout."""

    salon_id: int
    candidates: list[Candidate]
    expected: tuple[float, float, float]  # sum p, 90 % interval
    kind: str  # model | prior
    reason: str


def model_params(config: Config) -> ModelParams:
    """The recommender's parameters from the [models] config."""
    return ModelParams(random_state=config.models.random_state,
                       min_events=config.models.min_past_salons)  # fmt: skip


def _fit(
    history: History,
    params: ModelParams,
    now: pd.Timestamp,
    stages: Stages,
    progress: bool,
    outcomes: pd.DataFrame | None = None,
    timezone: str = "UTC",
) -> dict:
    """Features, segments, model, a backtest (with enough salons) and upcoming salons' scores.

    Runs in a thread. Training and the backtest share one set of pairs (past salons, each
    with a sample of at most params.max_pairs_per_event members).
    """
    sources = PairSources.of(*history.args(), history.texts, history.participation)
    past = history.events[history.events["starts_at"] < now]
    features = features_at(history.members, sources.activity, sources.history, now,
                           history.texts)  # fmt: skip
    stages.done("features")
    segmentation = segment_members(features, random_state=params.random_state) if len(
        features
    ) >= 10 else None  # fmt: skip
    stages.done("segmentation")
    pairs = pairs_of_events(sources, past, params.sampling(), progress)
    stages.done("pairs")
    trained = fit_pairs(pairs, params)
    stages.done("training")
    plan, plan_reason = None, "no salon outcomes"
    if outcomes is not None:
        counts = outcomes.set_index("event_id")["signups"]
        plan, plan_reason = fit_salon_model(
            trained, pairs, history.members, past, counts, history.texts, timezone,
            params.random_state,
        )  # fmt: skip
    stages.done("salon_model")
    report = None
    if len(past) >= MIN_BACKTEST_SALONS:
        report = backtest_pairs(pairs, past, params=params)
    stages.done("backtest")
    upcoming = history.events[history.events["starts_at"] >= now]
    scores = {int(event["event_id"]): score_event(trained, sources, event)
              for _, event in upcoming.iterrows()}  # fmt: skip
    stages.done("scoring")
    return {"trained": trained, "segmentation": segmentation, "backtest": report,
            "scores": scores, "plan": plan, "plan_reason": plan_reason}  # fmt: skip


def json_safe(value: object) -> object:
    """`value` with NaN and infinities as None: PostgreSQL's JSON has no NaN."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _model_path(config: Config, community_id: int, run_id: int) -> Path:
    folder = Path(config.models.model_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"community{community_id}-run{run_id}.joblib"


async def train_community(
    db: async_sessionmaker, config: Config, community_id: int, progress: bool = False
) -> int:
    """Rebuild features, segments, model and upcoming salons' scores; returns the run id.

    A failed run is recorded as failed and re-raised; the previous model stays in use. The
    run's metrics record the seconds each stage took (`stage_seconds`).
    """
    params = model_params(config)
    async with db.begin() as session:
        run = await add_run(
            community_id,
            {"random_state": params.random_state, "min_events": params.min_events,
             "panel_size": params.panel_size, "max_pairs_per_event": params.max_pairs_per_event},
            session=session,
        )  # fmt: skip
        run_id, started = run.id, run.started_at
    try:
        stages = Stages()
        history = await load_history(db, config, community_id, params.sampling())
        now = pd.Timestamp(utcnow())
        stages.done("load")
        activity, cutoffs = training_needs(history, params, now)
        await fetch_activity(db, history, activity, progress)
        stages.done("activity")
        await fetch_participation(db, history, community_id, cutoffs)
        async with db.begin() as session:
            outcomes = await salon_outcomes_frame(community_id, session=session)
        stages.done("participation")
        community = config.community(community_id)
        timezone = community.timezone if community is not None else "UTC"
        fitted = await asyncio.to_thread(_fit, history, params, now, stages, progress, outcomes,
                                         timezone)  # fmt: skip
        trained: TrainedModel = fitted["trained"]
        path = _model_path(config, community_id, run_id)
        await asyncio.to_thread(save_model, trained, path)
        if fitted["plan"] is not None:
            await asyncio.to_thread(save_salon_model, fitted["plan"], plan_path(path))
        segmentation = fitted["segmentation"]
        metrics = {**trained.metrics, "n_pairs": trained.n_pairs,
                   "salon_model": fitted["plan_reason"]}  # fmt: skip
        if segmentation is not None:
            metrics.update(segments_k=segmentation.k, silhouette=segmentation.silhouette)
        if fitted["backtest"] is not None:
            metrics["backtest"] = fitted["backtest"]
        async with db.begin() as session:
            if segmentation is not None:
                named = dict(zip(segmentation.members["user_id"],
                                 segmentation.members["segment"], strict=True))  # fmt: skip
                await replace_segments(community_id, run_id, named, session=session)
            for sid, frame in fitted["scores"].items():
                pairs = zip(frame["user_id"], frame["probability"], strict=True)
                await replace_scores(sid, run_id, pairs, session=session)
            stages.done("save")
            metrics["stage_seconds"] = stages.seconds
            await finish_run(
                run_id, session=session, status=RUN_OK, started_at=started, kind=trained.kind,
                reason=trained.reason, rows=len(history.members), metrics=json_safe(metrics),
                model_path=str(path), version=trained.version,
            )  # fmt: skip
    except Exception as error:
        async with db.begin() as session:
            await finish_run(run_id, session=session, status=RUN_FAILED, started_at=started,
                             reason=f"{type(error).__name__}: {error}"[:2000])  # fmt: skip
        raise
    return run_id


class NotEnoughData(Exception):
    """The stored history cannot answer the question; `str()` says what is missing."""


def _evaluation_gap(history: History, past: pd.DataFrame, signups: pd.DataFrame) -> str | None:
    """What the history lacks for a backtest (None: enough)."""
    if history.members.empty:
        return "no members yet (import history or run the bot in the group)"
    if len(past) < MIN_EVALUATE_SALONS:
        return (f"{len(past)} past salon(s); a backtest needs at least {MIN_EVALUATE_SALONS} "
                "(earlier ones to train on, a later one to test)")  # fmt: skip
    if signups.empty:
        return "no signups for past salons yet"
    return None


async def evaluate_communities(
    db: async_sessionmaker, config: Config, community_ids: list[int] | None = None
) -> dict:
    """Time-split backtest against baselines on the stored history (communities pooled), and
    of members' own salon rankings against date order (`members`).

    Only salons that have started are used. NotEnoughData says what is missing when there
    is too little history, or when the later salons leave nothing to measure (no signups,
    or everyone signed up).
    """
    params = model_params(config)
    history = await load_history(db, config, community_ids, params.sampling())
    history.events = history.events[history.events["starts_at"] < pd.Timestamp(utcnow())]
    past_ids = set(history.events["event_id"])
    signups = history.signups[history.signups["event_id"].isin(past_ids)]
    gap = _evaluation_gap(history, history.events, signups)
    if gap is not None:
        raise NotEnoughData(gap)
    train_ids, test_ids = split_events(history.events, 0.3)
    if not train_ids:
        raise NotEnoughData("no salon ended before the latest ones were announced")
    requests = pair_requests(history.members, history.events, train_ids + test_ids,
                             params.sampling())  # fmt: skip
    await fetch_activity(db, history, requests)
    async with db.begin() as session:
        outcomes = await salon_outcomes_frame(community_ids, session=session)
    report = await asyncio.to_thread(_evaluate, history, outcomes, params, train_ids + test_ids)
    if not 0 < report["positives"] < report["pairs"]:
        raise NotEnoughData(
            f"the {report['events']} latest salon(s) had {report['positives']} signups among "
            f"{report['pairs']} members: nothing to tell apart"
        )
    # Members' own rankings, over the panel (whose signups were read).
    members = history.members if history.panel is None else history.panel
    report["members"] = await asyncio.to_thread(backtest_members, members, history.events,
                                                history.signups)  # fmt: skip
    return report


def _evaluate(history: History, outcomes: pd.DataFrame, params: ModelParams, ids: list) -> dict:
    """The member model's backtest, and (under "plan") the salon-level model's."""
    pairs = build_pairs(*history.args(), ids, history.texts, sampling=params.sampling())
    report = backtest_pairs(pairs, history.events, params=params)
    counts = outcomes.set_index("event_id")["signups"]
    report["plan"] = evaluate_plans(pairs, history.members, history.events, counts,
                                    history.texts, params)  # fmt: skip
    return report


async def score_salon(db: async_sessionmaker, config: Config, salon_id: int) -> SalonScores:
    """Every eligible member's probability for the salon, with the expected turnout.

    Uses the community's latest successful model run (training one first if there is none).
    """
    async with db.begin() as session:
        salon = await get_salon(salon_id, session=session)
        if salon is None:
            raise LookupError(f"unknown salon {salon_id}")
        community_id = salon.community_id
        run = await get_latest_run(community_id, session=session)
    model_missing = run is None or not await asyncio.to_thread(Path(run.model_path or "").is_file)
    if model_missing:
        await train_community(db, config, community_id)
        async with db.begin() as session:
            run = await get_latest_run(community_id, session=session)
    trained = await asyncio.to_thread(load_model, run.model_path)
    # No member's whole history is needed: aggregates at the salon's cutoff for everyone.
    history = await load_history(db, config, community_id, Sampling(panel_size=0))
    events = history.events
    if salon_id not in set(events["event_id"]):
        raise LookupError(f"salon {salon_id} is a draft or was cancelled")
    event = events[events["event_id"] == salon_id].iloc[0]
    await fetch_activity(db, history, pair_requests(history.members, events, [salon_id]))
    await fetch_participation(db, history, community_id, [(event_cutoff(event), event["tags"])])

    def work() -> pd.DataFrame:
        sources = PairSources.of(*history.args(), history.texts, history.participation)
        return score_event(trained, sources, event)

    frame = await asyncio.to_thread(work)
    async with db.begin() as session:
        segments = await get_segments(community_id, session=session)
        await replace_scores(salon_id, run.id, zip(frame["user_id"], frame["probability"],
                                                   strict=True), session=session)  # fmt: skip
    candidates = [
        Candidate(int(u), float(p), segments.get(int(u), "unknown"))
        for u, p in zip(frame["user_id"], frame["probability"], strict=True)
    ]
    return SalonScores(salon_id, candidates, expected_turnout(frame["probability"]),
                       trained.kind, trained.reason)  # fmt: skip
