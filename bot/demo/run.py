"""Run the demo: world, sandbox, config, database, the application, then every step."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from bot.common.config import load_config
from bot.common.logs import setup_logging
from bot.demo.driver import Demo
from bot.demo.steps import STEPS
from bot.demo.transcript import Transcript
from bot.demo.world import build_world, config_text
from bot.sandbox.server import BotApiSandbox
from storage.migrate import upgrade


@dataclass(frozen=True)
class DemoOptions:
    """What `salonbot demo` was asked for."""

    members: int = 300
    seed: int = 0
    out: Path = Path("demo-output")
    language: str = "en"


class _ErrorCount(logging.Handler):
    """Counts log records at ERROR or above: any of them fails the demo."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def _fresh(out: Path) -> None:
    """Remove what an earlier run left in `out` (only the demo's own files)."""
    out.mkdir(parents=True, exist_ok=True)
    for name in ("demo.db", "demo.db-wal", "demo.db-shm", "transcript.txt", "config.toml"):
        (out / name).unlink(missing_ok=True)
    for name in ("history", "models"):
        shutil.rmtree(out / name, ignore_errors=True)


def run_demo(options: DemoOptions) -> int:
    """Run every step; 0 when the loop went through without an error logged."""
    started = time.monotonic()
    out = options.out
    _fresh(out)
    transcript = Transcript(options.language)
    _ = transcript.gettext
    transcript.write(_("salonbot demo: {members} simulated members, seed {seed}, everything "
                       "offline").format(members=options.members, seed=options.seed))  # fmt: skip
    world = build_world(options.members, options.seed, options.language)
    errors = _ErrorCount()
    with BotApiSandbox() as sandbox:
        path = out / "config.toml"
        path.write_text(config_text(out, sandbox.base_url, world.organizer.user_id), "utf-8")
        config = load_config(path)
        setup_logging(config.logging.level, [config.telegram.token])
        # Fast ticks overlap now and then; APScheduler warns about each skipped run.
        logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
        logging.getLogger().addHandler(errors)
        upgrade(config.database.url)
        demo = Demo(config, sandbox, world, transcript, out)
        try:
            asyncio.run(_steps(demo, errors))
        finally:
            logging.getLogger().removeHandler(errors)
    transcript.heading(_("Done"))
    transcript.note(_("{seconds:.0f} seconds. In {out}: demo.db (the database), transcript.txt, "
                      "config.toml, history/ (the imported CSV files), models/.").format(
        seconds=time.monotonic() - started, out=out))  # fmt: skip
    transcript.note(_("Try: salonbot evaluate --config {config}").format(config=path))
    transcript.save(out / "transcript.txt")
    if errors.count:
        transcript.write(_("The bot logged {count} errors (see above).").format(count=errors.count))
        return 1
    return 0


async def _steps(demo: Demo, errors: _ErrorCount) -> None:
    await demo.start()
    try:
        for step in STEPS:
            await step(demo)
    finally:
        # Stopping cancels a tick that happens to run; that is not the demo's failure.
        logging.getLogger().removeHandler(errors)
        await demo.stop()
