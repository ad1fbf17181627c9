"""The chart worker processes draw exactly what the bot's own process draws, and survive a
worker's death; /stats through the application uses them."""

from __future__ import annotations

import logging
import os
import signal

import pytest

from bot.stats.chart_pool import ChartPool
from bot.stats.charts import community_charts, funnel_chart
from tests.conftest import make_config
from tests.stats_helpers import seed_community
from tests.test_charts import sample_stats
from tests.test_stats_handlers import PNG, photos, say
from tests.updates import ORGANIZER


@pytest.fixture(scope="module")
def pool():
    """One pool of two workers for the module (spawning them costs seconds)."""
    pool = ChartPool(2)
    pool.start()
    yield pool
    if pool._executor is not None:
        pool._executor.shutdown(wait=True, cancel_futures=True)


async def test_the_workers_draw_the_same_png_bytes_as_this_process(pool):
    assert await pool.wait_ready()
    assert len(pool.processes()) == 2
    assert os.getpid() not in [p.pid for p in pool.processes()]
    stats = sample_stats()
    before = pool.drawn_in_pool
    charts = await pool.community_charts(stats, "zh")
    here = community_charts(stats, "zh")
    assert [c.name for c in charts] == ["activity.png", "hours.png", "funnel.png", "segments.png"]
    assert [c.png for c in charts] == [c.png for c in here]
    single = await pool.funnel_chart(stats.salons[0], "en")
    assert single == funnel_chart(stats.salons[:1], "en")
    assert pool.drawn_in_pool == before + 5


async def test_a_dead_worker_costs_no_chart(pool, caplog):
    assert await pool.wait_ready()
    os.kill(pool.processes()[0].pid, signal.SIGKILL)
    stats = sample_stats()
    with caplog.at_level(logging.WARNING, logger="bot.stats.chart_pool"):
        charts = await pool.community_charts(stats, "en")
    assert [c.png for c in charts] == [c.png for c in community_charts(stats, "en")]
    assert "a chart worker process died" in caplog.text
    # A new pool replaces the broken one.
    assert await pool.wait_ready()
    before = pool.drawn_in_pool
    again = await pool.community_charts(stats, "en")
    assert [c.png for c in again] == [c.png for c in charts]
    assert pool.drawn_in_pool == before + 4


async def test_no_workers_means_no_processes():
    pool = ChartPool(0)
    assert not await pool.wait_ready()
    charts = await pool.community_charts(sample_stats(), "en")
    assert all(c.png.startswith(PNG) for c in charts)
    assert pool.drawn_in_pool == 0 and pool._executor is None
    await pool.close()


@pytest.fixture
def config(db_url):
    return make_config(db_url, stats={"chart_workers": 2})


async def test_stats_through_the_application_uses_the_workers(app, fake_request, db):
    await seed_community(db)
    charts = app.bot_data.charts
    assert charts.workers == 2
    await say(app, "/stats")  # the first /stats starts the workers and draws here meanwhile
    assert charts.drawn_in_pool == 0
    assert await charts.wait_ready()
    await say(app, "/stats")
    assert charts.drawn_in_pool == 4
    albums = fake_request.calls_to("sendMediaGroup", chat_id=ORGANIZER["id"])
    assert [len(photos(album)) for album in albums] == [4, 4]
    assert all(p.startswith(PNG) and len(p) > 10_000 for p in photos(albums[1]))
    processes = charts.processes()
    assert len(processes) == 2
    await app.post_shutdown(app)  # the fixture's shutdown then finds nothing left to stop
    assert charts.processes() == [] and not any(p.is_alive() for p in processes)
