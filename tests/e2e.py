"""Run the real `salonbot run` process against a local fake Bot API server."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from bot.sandbox.server import BotApiSandbox
from tests.conftest import TOKEN
from tests.updates import COMMUNITY_ID, ORGANIZER

ROOT = Path(__file__).resolve().parent.parent

# Starting the bot (imports, migrations) on a loaded machine: a wait for a condition, so a
# generous limit costs nothing when the machine is idle.
STARTUP_SECONDS = 240.0


def write_config(directory: Path, sandbox: BotApiSandbox, db_url: str, extra: str = "") -> Path:
    """A config file pointing the bot at the sandbox, logging at DEBUG."""
    path = directory / "config.toml"
    path.write_text(
        f"""
[telegram]
token = "{TOKEN}"
api_base_url = "{sandbox.base_url}"

[database]
url = "{db_url}"
migrate_on_start = true

[[communities]]
chat_id = {COMMUNITY_ID}
title = "读书会"
timezone = "Asia/Shanghai"
language = "zh"
organizers = [{ORGANIZER["id"]}]

[schedule]
tick_seconds = 1

[logging]
level = "DEBUG"
{extra}
""",
        encoding="utf-8",
    )
    return path


class BotProcess:
    """`salonbot run` in a subprocess, its output captured to a file."""

    def __init__(self, config: Path) -> None:
        self.config = config
        self.log_path = config.parent / "bot.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> BotProcess:
        """Start the process (the console script if installed, else `python -m bot.cli`)."""
        script = shutil.which("salonbot", path=str(Path(sys.executable).parent))
        command = [script] if script else [sys.executable, "-m", "bot.cli"]
        env = {k: v for k, v in os.environ.items() if k != "SALONBOT_TOKEN"}
        # Run this checkout's code, not whichever copy is installed.
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*command, "run", "--config", str(self.config)],
                stdout=log, stderr=subprocess.STDOUT, cwd=self.config.parent, env=env,
            )  # fmt: skip
        return self

    @property
    def alive(self) -> bool:
        """Whether the process is still running."""
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send `sig` and wait for the exit status."""
        if self.alive:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def log(self) -> str:
        """Everything the process printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_polling(self, sandbox: BotApiSandbox, timeout: float = STARTUP_SECONDS) -> None:
        """Wait until the bot is polling for updates (fail fast if it died)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sandbox.calls_to("getUpdates"):
                return
            if not self.alive:
                raise RuntimeError(f"bot exited early:\n{self.log()}")
            time.sleep(0.05)
        raise TimeoutError(f"bot never polled:\n{self.log()}")
