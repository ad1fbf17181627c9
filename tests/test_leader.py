"""Leader election: one process of several on PostgreSQL leads; on SQLite the only one does."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys

import asyncpg
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.app import build_app
from bot.common.config import LeaderConfig
from bot.outbox.dispatcher import dispatch_once
from bot.outbox.leader import LOCAL_JOBS, Leadership
from storage.db import create_engine, session_factory
from storage.migrate import current_revision, head_revision
from storage.models import OutboxMessage
from storage.outbox import claim_due, enqueue
from tests.conftest import POSTGRES_URL, drop_pg_database, make_config, new_pg_database, pg_url
from tests.e2e import ROOT
from tests.fakes import FakeRequest
from tests.private_pg import free_port
from tests.updates import EN_USER, poll_answer

CONFIG = LeaderConfig(interval_seconds=1)


class Recorder:
    """A Leadership with its gain/lose calls recorded."""

    def __init__(self, url: str) -> None:
        self.events: list[str] = []
        self.leadership = Leadership(url, CONFIG, on_gain=self._gain, on_lose=self._lose)

    async def _gain(self) -> None:
        self.events.append("gain")

    async def _lose(self) -> None:
        self.events.append("lose")


@pytest.fixture
async def pg_db(pg_db_url):
    """A session factory on the PostgreSQL test database."""
    engine = create_engine(pg_db_url)
    yield session_factory(engine)
    await engine.dispose()


async def _fenced(leadership: Leadership, db) -> bool:
    async with db.begin() as session:
        return await leadership.fence(session)


async def test_sqlite_process_always_leads(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'one.db'}"
    first = Recorder(url)
    await first.leadership.start()
    await first.leadership.tick()  # no lock to check: nothing changes
    assert first.leadership.is_leader and first.events == ["gain"]
    assert await first.leadership.fence(None)
    await first.leadership.close()


async def test_postgres_one_leads_and_the_other_takes_over_when_it_closes(pg_db_url, pg_db):
    first, second = Recorder(pg_db_url), Recorder(pg_db_url)
    await first.leadership.start()
    await second.leadership.start()
    assert (first.leadership.is_leader, first.events) == (True, ["gain"])
    assert (second.leadership.is_leader, second.events) == (False, ["lose"])  # standby
    await second.leadership.tick()
    await first.leadership.tick()
    assert first.leadership.is_leader and not second.leadership.is_leader
    assert await _fenced(first.leadership, pg_db) and not await _fenced(second.leadership, pg_db)

    await first.leadership.close()
    assert not await _fenced(first.leadership, pg_db)
    await second.leadership.tick()
    assert second.leadership.is_leader and second.events == ["lose", "gain"]
    assert await _fenced(second.leadership, pg_db)
    await second.leadership.close()


async def test_postgres_leader_whose_connection_dies_steps_down_and_is_replaced(pg_db_url, pg_db):
    first, second = Recorder(pg_db_url), Recorder(pg_db_url)
    await first.leadership.start()
    await second.leadership.start()
    url = make_url(pg_db_url)
    admin = await asyncpg.connect(host=url.host, port=url.port, user=url.username,
                                  database=url.database)  # fmt: skip
    try:  # the server ends the leader's lock session, as when its host or network fails
        assert await admin.fetchval("SELECT pg_terminate_backend($1)", first.leadership._pid)
    finally:
        await admin.close()
    # Before the leader's own check notices, the claim fence already refuses it.
    assert not await _fenced(first.leadership, pg_db)
    await first.leadership.tick()
    assert not first.leadership.is_leader and first.events == ["gain", "lose"]
    await second.leadership.tick()
    assert second.leadership.is_leader and second.events == ["lose", "gain"]
    await first.leadership.tick()  # reconnects, finds the lock taken: stays standby
    assert not first.leadership.is_leader and first.events == ["gain", "lose"]
    await second.leadership.close()
    await first.leadership.tick()
    assert first.leadership.is_leader and first.events == ["gain", "lose", "gain"]
    await first.leadership.close()


async def _app(url: str, request: FakeRequest):
    app = build_app(make_config(url), request=request)
    await app.initialize()
    await app.post_init(app)
    return app


async def _close(app) -> None:
    await app.post_shutdown(app)
    await app.shutdown()


def _paused(app) -> set[str]:
    """Jobs the scheduler will not run (paused: no next run time)."""
    jobs = app.job_queue.jobs()
    return {j.name for j in jobs if getattr(j.job, "next_run_time", "not started") is None}


def _names(app) -> set[str]:
    return {job.name for job in app.job_queue.jobs()}


async def test_standby_runs_no_leader_jobs_claims_nothing_and_recovers_only_on_takeover(
    pg_db_url, pg_db
):
    request = FakeRequest()
    async with pg_db.begin() as session:
        for chat_id in (61, 62, 63):
            await enqueue(f"t:{chat_id}", session=session, kind="notice", chat_id=chat_id,
                          payload={"text": f"hi {chat_id}"})  # fmt: skip
    leader = await _app(pg_db_url, request)
    async with pg_db.begin() as session:
        [in_flight] = await claim_due(1, session=session)  # the leader is sending it
    standby = await _app(pg_db_url, request)
    try:
        assert _paused(leader) == set()
        assert _paused(standby) == _names(standby) - LOCAL_JOBS
        assert {"dispatch_job", "reminders_job", "campaigns_job", "nightly_training_job",
                "retention", "no_shows", "activity", "leader"} <= _names(standby)  # fmt: skip
        # The standby's dispatcher is fenced off; its start left the leader's row alone.
        assert await dispatch_once(standby.bot, pg_db, standby.bot_data.dispatcher) == 0
        assert request.calls_to("sendMessage") == []
        async with pg_db.begin() as session:
            assert (await session.get(OutboxMessage, in_flight.id)).status == "sending"
        assert await dispatch_once(leader.bot, pg_db, leader.bot_data.dispatcher) == 2
    finally:
        # The leader dies without marking its in-flight row; the standby takes over.
        await leader.bot_data.leader._close_connection(release=False)
        await _close(leader)
    try:
        await standby.bot_data.leader.tick()
        assert standby.bot_data.leader.is_leader and _paused(standby) == set()
        async with pg_db.begin() as session:
            rows = dict((await session.execute(select(OutboxMessage.chat_id,
                                                      OutboxMessage.status))).all())  # fmt: skip
        assert rows[in_flight.chat_id] == "unknown"  # never resent
        assert sorted(rows.values()) == ["sent", "sent", "unknown"]
        assert len(request.calls_to("sendMessage")) == 2
    finally:
        await _close(standby)


async def test_sqlite_app_leads_at_start_without_a_leader_job(sqlite_template, tmp_path):
    shutil.copy(sqlite_template, tmp_path / "app.db")
    url = f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"
    app = await _app(url, FakeRequest())
    try:
        assert app.bot_data.leader.is_leader
        assert "leader" not in _names(app) and _paused(app) == set()
        db = session_factory(app.bot_data.engine)
        assert await _fenced(app.bot_data.leader, db)
    finally:
        await _close(app)


def test_processes_starting_together_migrate_an_empty_postgres_database_once(tmp_path):
    if not POSTGRES_URL:
        pytest.skip("needs SALONBOT_TEST_POSTGRES_URL (CI sets it)")
    name = new_pg_database()  # empty: both processes find every revision to apply
    url = pg_url(name)
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{url}"\n', encoding="utf-8")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    command = [sys.executable, "-m", "bot.cli", "migrate", "--config", str(config)]
    try:
        runs = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                for _ in range(2)]  # fmt: skip
        outputs = [run.communicate(timeout=120)[0].decode() for run in runs]
        assert [run.returncode for run in runs] == [0, 0], outputs
        assert all(f"database is at revision {head_revision(url)}" in out for out in outputs)

        async def revision() -> str | None:
            engine = create_engine(url)
            try:
                return await current_revision(engine)
            finally:
                await engine.dispose()

        assert asyncio.run(revision()) == head_revision(url)
    finally:
        drop_pg_database(name)


async def test_a_leader_stepping_down_in_an_outage_keeps_its_update_replays_running(
    pg_db_url, pg_db
):
    app = await _app(pg_db_url, FakeRequest())
    try:
        assert app.bot_data.leader.is_leader
        # The database goes away: a poll answer is kept for a replay, then the lock is lost.
        db, engine = app.bot_data.db, create_engine(
            f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/salonbot")  # fmt: skip
        app.bot_data.db = session_factory(engine)
        update = poll_answer("poll-9", EN_USER, [3], bot=app.bot)
        await app.process_update(update)
        assert app.bot_data.replays == {update.update_id: 1}
        await app.bot_data.leader._close_connection(release=False)
        app.bot_data.leader._engine = engine  # its lock cannot be reached either
        await app.bot_data.leader.tick()
        assert not app.bot_data.leader.is_leader
        assert "dispatch_job" in _paused(app)  # the leader's work stops...
        assert f"replay_{update.update_id}" not in _paused(app)  # ...this process's own does not
        app.bot_data.db = db
        await engine.dispose()
    finally:
        await _close(app)
