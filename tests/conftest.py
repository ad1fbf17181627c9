"""Shared fixtures: databases on SQLite (always) and PostgreSQL (when configured), the bot."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from hypothesis import settings
from sqlalchemy.engine import make_url
from telegram.ext import Application

from bot.app import build_app
from bot.common.config import Config, parse_config
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from tests.fakes import FakeRequest
from tests.updates import COMMUNITY_ID, ORGANIZER

# In CI the fuzz tests run a fixed sequence of examples, so a green run is repeatable; locally
# every run draws new examples (and Hypothesis keeps and replays the failures it finds).
settings.register_profile("ci", derandomize=True, database=None)
if os.environ.get("CI"):
    settings.load_profile("ci")

POSTGRES_URL = os.environ.get("SALONBOT_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]
TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


async def _pg_admin(sql: str) -> None:
    url = make_url(POSTGRES_URL)
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password,
        database=url.database,
    )  # fmt: skip
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pg_url(database: str) -> str:
    """The test server's URL for another database."""
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


def new_pg_database(template: str | None = None) -> str:
    """Create an empty (or templated) PostgreSQL database; returns its name."""
    name = f"salonbot_t_{uuid.uuid4().hex[:12]}"
    suffix = f" TEMPLATE {template}" if template else ""
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"{suffix}'))
    return name


def drop_pg_database(name: str) -> None:
    """Drop a test database, closing whatever still holds it."""
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """A migrated SQLite file, copied for each test (faster than migrating every time)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return str(path)


@pytest.fixture(scope="session")
def pg_template() -> AsyncIterator[str]:
    """A migrated PostgreSQL database used as the template of each test database."""
    name = new_pg_database()
    upgrade(pg_url(name))
    yield name
    drop_pg_database(name)


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> AsyncIterator[str]:
    """A fresh migrated database URL on each backend under test."""
    if request.param == "sqlite":
        path = tmp_path / "salonbot.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = new_pg_database(template=request.getfixturevalue("pg_template"))
    yield pg_url(name)
    drop_pg_database(name)


@pytest.fixture
def pg_db_url(request) -> AsyncIterator[str]:
    """A fresh migrated PostgreSQL database URL, for tests that need PostgreSQL itself."""
    if not POSTGRES_URL:
        pytest.skip("needs SALONBOT_TEST_POSTGRES_URL (CI sets it)")
    name = new_pg_database(template=request.getfixturevalue("pg_template"))
    yield pg_url(name)
    drop_pg_database(name)


@pytest.fixture
async def db(db_url):
    """A session factory on a fresh database."""
    engine = create_engine(db_url)
    yield session_factory(engine)
    await engine.dispose()


def make_config(db_url: str, **sections) -> Config:
    """A valid config for tests, with one community whose organizer is ORGANIZER."""
    data = {
        "telegram": {"token": TOKEN},
        "database": {"url": db_url, "migrate_on_start": False},
        "communities": [
            {
                "chat_id": COMMUNITY_ID,
                "title": "读书会",
                "timezone": "Asia/Shanghai",
                "language": "zh",
                "organizers": [ORGANIZER["id"]],
            },
        ],  # fmt: skip
    }
    for key, value in sections.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return parse_config(data, env={})


@pytest.fixture
def fake_request() -> FakeRequest:
    """The fake Bot API: recorded calls and canned answers."""
    return FakeRequest()


@pytest.fixture
def config(db_url) -> Config:
    """The default test config on the test database."""
    return make_config(db_url)


@pytest.fixture
async def app(config, fake_request):
    """The real application with its services started, talking to the fake request."""
    async with started_app(config, fake_request) as application:
        yield application


@asynccontextmanager
async def started_app(config: Config, request) -> AsyncIterator[Application]:
    """`build_app` with its services started (as `salonbot run` does), stopped on exit."""
    application = build_app(config, request=request)
    await application.initialize()
    await application.post_init(application)
    try:
        yield application
    finally:
        await application.post_shutdown(application)
        await application.shutdown()
