"""The demo's plans step on a community without history: /plan's honest refusal is shown."""

from __future__ import annotations

import asyncio
import io

from sqlalchemy import select

from bot.common.config import load_config
from bot.demo.driver import Demo
from bot.demo.steps_plans import plans_step
from bot.demo.transcript import Transcript
from bot.demo.world import build_world, config_text, plan_salon
from bot.sandbox.server import BotApiSandbox
from storage.migrate import upgrade
from storage.models import Salon
from tests.imports import fetch


def test_plans_step_without_history_shows_the_refusal_and_still_starts_the_series(tmp_path):
    world = build_world(20, 0, "en")
    transcript = Transcript("en", stream=io.StringIO())
    with BotApiSandbox() as sandbox:
        path = tmp_path / "config.toml"
        path.write_text(config_text(tmp_path, sandbox.base_url, world.organizer.user_id), "utf-8")
        config = load_config(path)
        upgrade(config.database.url)
        demo = Demo(config, sandbox, world, transcript, tmp_path)
        demo.facts["plan"] = plan_salon(world)  # no history imported: no past salons

        async def run() -> None:
            await demo.start()
            try:
                await plans_step(demo)
            finally:
                await demo.stop()

        asyncio.run(run())
    text = "\n".join(transcript.lines)
    assert "Not enough history to predict plans yet (" in text
    assert "The community's history is too small for the salon-level model" in text
    assert "Expected signups" not in text and "Draft plan" not in text  # no figures made up
    assert "Series #1 «" in text and "… 2 more announcements of the series." in text
    salons = [row[0] for row in fetch(config.database.url, select(Salon))]
    assert len(salons) == 4 and all(s.series_id is not None for s in salons)  # no draft
