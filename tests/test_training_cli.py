"""`salonbot train | evaluate | score` on history imported from the simulator."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.cli import main
from recommender.sim.community import simulate_community, write_history_csv
from storage.db import create_engine, session_factory
from storage.models import MemberSegment, ModelRun
from storage.models.runs import RUN_FAILED, RUN_OK
from storage.salons import NewSalon, add_salon
from storage.types import utcnow
from tests.conftest import TOKEN
from tests.updates import COMMUNITY_ID


def _config(tmp_path, db_url):
    path = tmp_path / "config.toml"
    path.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\n[database]\nurl = "{db_url}"\nmigrate_on_start = false\n'
        f'[models]\nmodel_dir = "{tmp_path / "models"}"\n'
        f'[[communities]]\nchat_id = {COMMUNITY_ID}\ntitle = "读书会"\n',
        encoding="utf-8",
    )
    return path


async def _query(db_url, work):
    engine = create_engine(db_url)
    try:
        async with session_factory(engine).begin() as session:
            return await work(session)
    finally:
        await engine.dispose()


@pytest.fixture
def history(tmp_path, db_url, capsys):
    """A simulated community (members, 10 past salons, chat) imported through the CLI."""
    community = simulate_community(n_members=120, weeks=12, n_salons=10, seed=3,
                                   community_id=COMMUNITY_ID, with_texts=False)  # fmt: skip
    write_history_csv(community, tmp_path / "history")
    config = _config(tmp_path, db_url)
    assert main(["import", "history", str(tmp_path / "history"), "--config", str(config)]) == 0
    capsys.readouterr()
    return community, config


def test_evaluate_json_reports_model_and_baselines(history, capsys):
    community, config = history
    assert main(["evaluate", "--config", str(config), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["events"] >= 2 and report["pairs"] > 0 and report["positives"] > 0
    for block in (report["model"], *report["baselines"].values()):
        assert 0.0 <= block["auc"] <= 1.0
        assert {"auc", "average_precision", "precision_at_10", "brier"} <= set(block)
    assert set(report["baselines"]) == {"random", "popularity", "recent_activity"}


def test_train_records_run_segments_and_scores_an_upcoming_salon(history, db_url, capsys):
    community, config = history
    assert main(["train", "--config", str(config)]) == 0

    async def check(session):
        run = (await session.scalars(select(ModelRun))).one()
        segments = (await session.scalars(select(MemberSegment))).all()
        salon = await add_salon(NewSalon(COMMUNITY_ID, "AI 沙龙", utcnow() + timedelta(days=5),
                                         20, tags=("ai",)), session=session)  # fmt: skip
        return run, segments, salon

    run, segments, salon = asyncio.run(_query(db_url, check))
    assert run.status == RUN_OK and run.kind in ("model", "prior") and run.reason
    assert run.rows == len(community.members) and run.duration_seconds > 0
    assert len(segments) == len(community.members)
    capsys.readouterr()
    assert main(["score", "--config", str(config), "--event-id", salon.short_code, "--json"]) == 0
    scored = json.loads(capsys.readouterr().out)
    probabilities = [c["probability"] for c in scored["candidates"]]
    assert len(probabilities) == len(community.members)
    assert all(0.0 <= p <= 1.0 for p in probabilities)
    assert scored["expected_signups"] == pytest.approx(sum(probabilities), abs=0.01)
    assert probabilities == sorted(probabilities, reverse=True)
    assert {c["segment"] for c in scored["candidates"]} <= {s.segment for s in segments}


def test_failed_run_keeps_the_previous_model(history, db_url, monkeypatch):
    _community, config = history
    assert main(["train", "--config", str(config)]) == 0

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("bot.models.training.segment_members", broken)
    with pytest.raises(RuntimeError):
        main(["train", "--config", str(config)])

    async def runs(session):
        return (await session.scalars(select(ModelRun).order_by(ModelRun.id))).all()

    ok, failed = asyncio.run(_query(db_url, runs))
    assert (ok.status, failed.status) == (RUN_OK, RUN_FAILED)
    assert "disk full" in failed.reason


def test_score_unknown_event_exits_2(history, capsys):
    _community, config = history
    assert main(["score", "--config", str(config), "--event-id", "nope"]) == 2
    assert "unknown event id" in capsys.readouterr().err


async def test_nightly_training_is_scheduled_by_cron_and_survives_a_failure(app, monkeypatch,
                                                                            caplog):  # fmt: skip
    from apscheduler.triggers.cron import CronTrigger

    from bot.common.context import Context
    from bot.jobs import nightly_training_job

    [job] = [j for j in app.job_queue.jobs() if j.name == "nightly_training_job"]
    trigger = job.job.trigger
    assert isinstance(trigger, CronTrigger) and str(trigger.fields[5]) == "3"  # hour field
    # 03:00 in the community's timezone (Beijing), not 03:00 UTC (11:00 in Beijing).
    assert str(trigger.timezone) == "Asia/Shanghai" and job.data == COMMUNITY_ID
    calls = []

    async def failing(db, config, community_id):
        calls.append(community_id)
        raise RuntimeError("no memory")

    monkeypatch.setattr("bot.models.training.train_community", failing)
    await nightly_training_job(Context(app))
    assert calls == [COMMUNITY_ID]
    assert "training failed for community" in caplog.text


async def test_each_community_trains_at_night_in_its_own_timezone(db_url, monkeypatch):
    from bot.common.context import Context
    from bot.jobs import nightly_training_job
    from tests.conftest import make_config, started_app
    from tests.fakes import FakeRequest

    berlin = {"chat_id": -1009, "title": "Berlin", "timezone": "Europe/Berlin", "language": "en"}
    config = make_config(db_url)
    config = make_config(
        db_url,
        communities=[c.model_dump(mode="json") for c in config.communities] + [berlin],
    )
    calls = []

    async def recording(db, config, community_id):
        calls.append(community_id)

    monkeypatch.setattr("bot.models.training.train_community", recording)
    async with started_app(config, FakeRequest()) as app:
        jobs = {j.data: j for j in app.job_queue.jobs() if j.name == "nightly_training_job"}
        assert set(jobs) == {COMMUNITY_ID, -1009}
        zones = {data: str(job.job.trigger.timezone) for data, job in jobs.items()}
        assert zones == {COMMUNITY_ID: "Asia/Shanghai", -1009: "Europe/Berlin"}
        await nightly_training_job(Context.from_job(jobs[-1009], app))
    assert calls == [-1009]
