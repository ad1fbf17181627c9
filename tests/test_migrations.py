"""Alembic builds the schema on an empty database and matches the models exactly."""

from __future__ import annotations

import asyncio

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from bot.cli import main
from storage.db import create_engine
from storage.migrate import head_revision, upgrade
from storage.models import Base
from tests.conftest import BACKENDS, TOKEN, drop_pg_database, new_pg_database, pg_url


@pytest.fixture(params=BACKENDS)
def empty_db_url(request, tmp_path):
    """An empty database (no tables at all)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    name = new_pg_database()
    yield pg_url(name)
    drop_pg_database(name)


def _snapshot(sync_conn) -> tuple[list, str | None]:
    tables = sorted(inspect(sync_conn).get_table_names())
    diff = compare_metadata(MigrationContext.configure(sync_conn), Base.metadata)
    version = MigrationContext.configure(sync_conn).get_current_revision()
    return tables, diff, version


async def _inspect(url: str):
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(_snapshot)
    finally:
        await engine.dispose()


async def test_upgrade_empty_database_matches_models(empty_db_url):
    await asyncio.to_thread(upgrade, empty_db_url)
    tables, diff, version = await _inspect(empty_db_url)
    assert diff == []
    assert set(Base.metadata.tables) <= set(tables)
    assert version == head_revision(empty_db_url)


async def test_upgrade_twice_changes_nothing(empty_db_url):
    await asyncio.to_thread(upgrade, empty_db_url)
    first = await _inspect(empty_db_url)
    await asyncio.to_thread(upgrade, empty_db_url)
    assert await _inspect(empty_db_url) == first


def test_salonbot_migrate_creates_schema(tmp_path, capsys):
    database = tmp_path / "fresh.db"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[telegram]\ntoken = "{TOKEN}"\n[database]\nurl = "sqlite+aiosqlite:///{database}"\n'
    )
    assert main(["migrate", "--config", str(config)]) == 0
    assert main(["migrate", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert out.count("database is at revision") == 2
    tables, diff, version = asyncio.run(_inspect(f"sqlite+aiosqlite:///{database}"))
    assert "users" in tables and diff == [] and version is not None
