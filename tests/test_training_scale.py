"""The large-community path of model runs: a sampled panel and database aggregates give the
same scores as the frames-only path, and runs record their stages."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select

from bot.cli import main
from recommender.model import ModelParams, load_model
from recommender.model import score as score_frames
from storage.frames import members_frame, rollups_frame
from storage.frames_campaigns import invitations_frame
from storage.frames_salons import events_frame, signups_frame
from storage.models import MemberScore, ModelRun
from storage.salons import NewSalon, add_salon
from storage.types import utcnow
from tests.test_training_cli import _query, history  # noqa: F401  (fixture)
from tests.updates import COMMUNITY_ID

PANEL = ModelParams(random_state=42, min_events=3, panel_size=70, max_pairs_per_event=40)


async def _reference(session, trained, salon_id):
    """The salon's scores from every member's full frames (no panel, no aggregates)."""
    frames = [await members_frame(COMMUNITY_ID, session=session),
              await rollups_frame(COMMUNITY_ID, session=session),
              await events_frame(COMMUNITY_ID, session=session),
              await signups_frame(COMMUNITY_ID, session=session),
              await invitations_frame(COMMUNITY_ID, session=session)]  # fmt: skip
    return score_frames(trained, *frames, salon_id)


def test_panel_run_scores_like_the_frames_path(history, db_url, capsys, monkeypatch):  # noqa: F811
    community, config = history
    monkeypatch.setattr("bot.models.training.model_params", lambda _config: PANEL)

    async def upcoming(session):
        salon = await add_salon(NewSalon(COMMUNITY_ID, "AI 沙龙", utcnow() + timedelta(days=5),
                                         20, tags=("ai", "startups")), session=session)  # fmt: skip
        return salon.id, salon.short_code

    salon_id, code = asyncio.run(_query(db_url, upcoming))
    assert main(["train", "--config", str(config)]) == 0

    async def stored(session):
        run = (await session.scalars(select(ModelRun))).one()
        query = select(MemberScore).where(MemberScore.salon_id == salon_id)
        scores = (await session.scalars(query)).all()
        trained = load_model(run.model_path)
        return run, {s.user_id: s.probability for s in scores}, trained, await _reference(
            session, trained, salon_id)  # fmt: skip

    run, nightly, trained, reference = asyncio.run(_query(db_url, stored))
    assert run.params["panel_size"] == 70 and run.metrics["n_pairs"] <= 40 * 10
    assert set(run.metrics["stage_seconds"]) >= {
        "load",
        "activity",
        "participation",
        "features",
        "segmentation",
        "training",
        "scoring",
        "save",
    }
    assert trained.kind == "model"
    expected = dict(zip(reference["user_id"], reference["probability"], strict=True))
    assert len(nightly) == len(community.members) == len(expected)
    assert np.allclose([nightly[u] for u in expected], list(expected.values()))
    capsys.readouterr()
    assert main(["score", "--config", str(config), "--event-id", code, "--json"]) == 0
    scored = {c["user_id"]: c["probability"] for c in
              json.loads(capsys.readouterr().out)["candidates"]}  # fmt: skip
    assert scored == pytest.approx(expected, abs=1e-6)  # the JSON rounds to 6 digits


def test_evaluate_uses_the_panel(history, capsys, monkeypatch):  # noqa: F811
    _community, config = history
    monkeypatch.setattr("bot.models.training.model_params", lambda _config: PANEL)
    assert main(["evaluate", "--config", str(config), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert 0 < report["pairs"] <= 40 * report["events"]
    assert report["train_pairs"] <= 40 * report["train_events"]
