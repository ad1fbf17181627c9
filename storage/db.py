"""Async engine and session factory for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

SQLITE_BUSY_SECONDS = 30
SQLITE_BUSY_TIMEOUT_MS = SQLITE_BUSY_SECONDS * 1000  # other processes (an import, a CLI)


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """An async engine with the per-backend settings the bot relies on."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        options = {}
        if parsed.database not in (None, "", ":memory:"):
            # Every SQLite transaction takes the write lock (BEGIN IMMEDIATE below), so a
            # process can only ever use one connection at a time. One pooled connection makes
            # the waiting fair: sessions queue first-come first-served on the pool instead of
            # polling the lock in SQLite's busy handler, where a writer that commits and
            # begins again at once (a burst of activity flushes) can starve a scheduled job
            # past the busy timeout ("database is locked").
            options = {"pool_size": 1, "max_overflow": 0, "pool_timeout": SQLITE_BUSY_SECONDS}
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_SECONDS}, **options
        )
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10)


def _configure_sqlite(engine: AsyncEngine) -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE so writers queue, never deadlock."""

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection) -> None:
        # A deferred transaction that later writes can fail with "database is locked";
        # taking the write lock up front serialises writers safely (readers still run in WAL).
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    """Sessions that keep loaded values after commit (handlers read them after the block)."""
    return async_sessionmaker(engine, expire_on_commit=False)
