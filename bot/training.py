"""Model runs: stored history -> recommender -> stored segments, scores and a persisted model.

Used by `salonbot train|evaluate|score`, the nightly job and campaigns. The recommender's
CPU-heavy work runs in a worker thread so the bot keeps answering meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.config import Config
from recommender.evaluation import backtest
from recommender.features import member_features
from recommender.model import ModelParams, TrainedModel, expected_turnout, load_model, save_model
from recommender.model import score as score_event
from recommender.model import train as train_model
from recommender.segmentation import segment_members
from storage.frames import members_frame, rollups_frame, texts_frame
from storage.frames_campaigns import invitations_frame
from storage.frames_salons import events_frame, signups_frame
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


@dataclass
class History:
    """Everything the recommender takes about one community."""

    members: pd.DataFrame
    rollups: pd.DataFrame
    events: pd.DataFrame
    signups: pd.DataFrame
    invitations: pd.DataFrame
    texts: pd.DataFrame | None

    def args(self) -> tuple:
        """Positional frames in the recommender's order."""
        return self.members, self.rollups, self.events, self.signups, self.invitations


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


async def load_history(
    db: async_sessionmaker, config: Config, community_id: int | list[int] | None
) -> History:
    """Read the frames of one community, several, or (None) all, in one transaction."""
    async with db.begin() as session:
        texts = None
        if config.privacy.store_text:
            texts = await texts_frame(community_id, session=session)
        return History(
            members=await members_frame(community_id, session=session),
            rollups=await rollups_frame(community_id, session=session),
            events=await events_frame(community_id, session=session),
            signups=await signups_frame(community_id, session=session),
            invitations=await invitations_frame(community_id, session=session),
            texts=texts,
        )


def _fit(history: History, params: ModelParams, now: pd.Timestamp) -> dict:
    """Features, segments, model and (with enough salons) a backtest; runs in a thread."""
    past = history.events[history.events["starts_at"] < now]
    features = member_features(*history.args(), now, history.texts)
    segmentation = segment_members(features, random_state=params.random_state) if len(
        features
    ) >= 10 else None  # fmt: skip
    trained = train_model(*history.args(), texts=history.texts, params=params,
                          event_ids=past["event_id"].tolist())  # fmt: skip
    report = None
    if len(past) >= MIN_BACKTEST_SALONS:
        report = backtest(history.members, history.rollups, past, history.signups,
                          history.invitations, history.texts, params=params)  # fmt: skip
    return {"trained": trained, "segmentation": segmentation, "backtest": report}


def _model_path(config: Config, community_id: int, run_id: int) -> Path:
    folder = Path(config.models.model_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"community{community_id}-run{run_id}.joblib"


async def train_community(db: async_sessionmaker, config: Config, community_id: int) -> int:
    """Rebuild features, segments, model and upcoming salons' scores; returns the run id.

    A failed run is recorded as failed and re-raised; the previous model stays in use.
    """
    params = model_params(config)
    async with db.begin() as session:
        run = await add_run(
            community_id,
            {"random_state": params.random_state, "min_events": params.min_events},
            session=session,
        )
        run_id, started = run.id, run.started_at
    try:
        history = await load_history(db, config, community_id)
        now = pd.Timestamp(utcnow())
        fitted = await asyncio.to_thread(_fit, history, params, now)
        trained: TrainedModel = fitted["trained"]
        path = _model_path(config, community_id, run_id)
        await asyncio.to_thread(save_model, trained, path)
        upcoming = history.events[history.events["starts_at"] >= now]["event_id"].tolist()
        scores = {
            sid: await asyncio.to_thread(score_event, trained, *history.args(), sid, history.texts)
            for sid in upcoming
        }
        segmentation = fitted["segmentation"]
        metrics = {**trained.metrics, "n_pairs": trained.n_pairs}
        if segmentation is not None:
            metrics.update(segments_k=segmentation.k, silhouette=segmentation.silhouette)
        if fitted["backtest"] is not None:
            metrics["backtest"] = fitted["backtest"]
        async with db.begin() as session:
            if segmentation is not None:
                named = dict(zip(segmentation.members["user_id"],
                                 segmentation.members["segment"], strict=True))  # fmt: skip
                await replace_segments(community_id, run_id, named, session=session)
            for sid, frame in scores.items():
                pairs = zip(frame["user_id"], frame["probability"], strict=True)
                await replace_scores(sid, run_id, pairs, session=session)
            await finish_run(
                run_id, session=session, status=RUN_OK, started_at=started, kind=trained.kind,
                reason=trained.reason, rows=len(history.members), metrics=metrics,
                model_path=str(path), version=trained.version,
            )  # fmt: skip
    except Exception as error:
        async with db.begin() as session:
            await finish_run(run_id, session=session, status=RUN_FAILED, started_at=started,
                             reason=f"{type(error).__name__}: {error}"[:2000])  # fmt: skip
        raise
    return run_id


async def evaluate_communities(
    db: async_sessionmaker, config: Config, community_ids: list[int] | None = None
) -> dict:
    """Time-split backtest against baselines on the stored history (communities pooled)."""
    history = await load_history(db, config, community_ids)
    return await asyncio.to_thread(backtest, history.members, history.rollups, history.events,
                                   history.signups, history.invitations, history.texts,
                                   params=model_params(config))  # fmt: skip


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
    history = await load_history(db, config, community_id)
    if salon_id not in set(history.events["event_id"]):
        raise LookupError(f"salon {salon_id} is a draft or was cancelled")
    frame = await asyncio.to_thread(score_event, trained, *history.args(), salon_id,
                                    history.texts)  # fmt: skip
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
