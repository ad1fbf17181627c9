"""Drawing the /stats charts in worker processes, so the four charts are drawn at once.

matplotlib is CPU-bound, holds the GIL while it draws and keeps its settings process-wide, so
threads draw one chart at a time. `ChartPool(workers)` hands each chart to a pool of
`workers` processes instead (`[stats] chart_workers`, see docs/stats.md):

- the processes are spawned, not forked (the bot's process runs an event loop and threads),
  when the first chart is asked for; each one imports matplotlib, finds the CJK font and
  draws the charts of an empty community once (its initializer), then lives as long as the
  application: the start-up is paid once per bot process, never per /stats;
- until they are warm, charts are drawn in a thread of the bot's process (one at a time:
  bot.stats.charts holds a lock), so the first /stats after a start waits for nothing more than
  before;
- with 0 workers, or after a worker process died `MAX_BROKEN` times, always in that thread.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from bot.stats.charts import Chart, community_chart_jobs, funnel_chart
from bot.stats.charts import warm_up as _draw_once
from storage.stats import CommunityStats
from storage.stats_salons import SalonFunnel

logger = logging.getLogger(__name__)

# A chart to draw: a module-level function of bot.stats.charts and its (picklable) arguments.
Job = tuple[Callable[..., Any], tuple]
MAX_BROKEN = 3
NICENESS = 5  # added to the workers' nice value


def warm_up() -> None:
    """Worker initializer: load matplotlib and the fonts, draw the charts once (caches filled).

    Ctrl+C reaches the whole process group: the bot stops its workers itself (`close`). A
    lower priority keeps the bot's own process (updates, jobs, and the charts it draws while
    the workers warm up) ahead of the workers; while a /stats waits for its charts the bot's
    process is idle anyway.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.nice(NICENESS)
    _draw_once()


def _ready() -> bool:
    return True


class ChartPool:
    """Draws charts in `workers` processes (0: in a thread, one at a time)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.drawn_in_pool = 0  # charts the worker processes drew (for tests and benchmarks)
        self._executor: ProcessPoolExecutor | None = None
        self._warming: list[Future] = []
        self._broken = 0  # pools lost to a dying worker

    def start(self) -> None:
        """Spawn the worker processes; they warm up in the background."""
        if self.workers <= 0 or self._broken >= MAX_BROKEN or self._executor is not None:
            return
        self._executor = ProcessPoolExecutor(
            self.workers, mp_context=multiprocessing.get_context("spawn"), initializer=warm_up
        )
        # One task per worker: each submit spawns a process while none is idle.
        self._warming = [self._executor.submit(_ready) for _ in range(self.workers)]

    async def wait_ready(self) -> bool:
        """Start the pool and wait until its workers are warm (False: no pool is used)."""
        self.start()
        if self._executor is None:
            return False
        try:
            await asyncio.gather(*(asyncio.wrap_future(f) for f in self._warming))
        except BrokenProcessPool:
            self._lost(self._executor)
            return False
        return True

    def processes(self) -> list[multiprocessing.Process]:
        """The worker processes running now (none before the first chart or after close)."""
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return [p for p in list(processes.values()) if p.is_alive()]

    def _warm_pool(self) -> ProcessPoolExecutor | None:
        self.start()
        if self._executor is None or not all(f.done() for f in self._warming):
            return None
        if any(f.exception() is not None for f in self._warming):
            self._lost(self._executor)
            return None
        return self._executor

    def _lost(self, pool: ProcessPoolExecutor) -> None:
        # A worker died (killed, out of memory): a new pool next time, this time here.
        logger.warning("a chart worker process died; drawing in the bot's process")
        if self._executor is pool:
            self._executor, self._warming = None, []
            self._broken += 1
        pool.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _draw_here(jobs: Sequence[Job]) -> list:
        # bot.stats.charts draws one chart at a time per process (a lock of its own).
        return [function(*args) for function, args in jobs]

    async def draw(self, jobs: Sequence[Job]) -> list:
        """Each job's result (PNG bytes), in order; in the pool, the jobs run in parallel."""
        pool = self._warm_pool()
        if pool is None:
            return await asyncio.to_thread(self._draw_here, jobs)
        loop = asyncio.get_running_loop()
        try:
            results = await asyncio.gather(
                *(loop.run_in_executor(pool, function, *args) for function, args in jobs)
            )
        except BrokenProcessPool:
            self._lost(pool)
            return await asyncio.to_thread(self._draw_here, jobs)
        self.drawn_in_pool += len(results)
        return list(results)

    async def community_charts(self, stats: CommunityStats, language: str) -> list[Chart]:
        """The four /stats charts."""
        named = community_chart_jobs(stats, language)
        pngs = await self.draw([(draw, args) for _name, draw, args in named])
        return [Chart(name, png) for (name, _draw, _args), png in zip(named, pngs, strict=True)]

    async def funnel_chart(self, funnel: SalonFunnel, language: str) -> bytes:
        """One salon's funnel chart."""
        (png,) = await self.draw([(funnel_chart, ([funnel], language))])
        return png

    async def close(self) -> None:
        """Stop the worker processes (waits for the charts being drawn)."""
        executor, self._executor, self._warming = self._executor, None, []
        if executor is not None:
            await asyncio.to_thread(executor.shutdown, True, cancel_futures=True)
