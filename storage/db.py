"""Async engine and session factory for SQLite (embedded) and PostgreSQL (production)."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

SQLITE_BUSY_SECONDS = 30
SQLITE_BUSY_TIMEOUT_MS = SQLITE_BUSY_SECONDS * 1000  # other processes (an import, a CLI)
# A server that accepts connections but does not answer (a network partition, an overloaded
# host) fails a connection attempt after this long, so members hear "try again" quickly.
PG_CONNECT_TIMEOUT_SECONDS = 10
# SQLSTATE classes/codes that mean "the server is not there right now": connection exceptions,
# administrator or crash shutdown, the server still starting up.
UNAVAILABLE_SQLSTATES = ("08", "57P01", "57P02", "57P03")


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
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_SECONDS}, hide_parameters=True,
            **options,
        )  # fmt: skip
        _configure_sqlite(engine)
        return engine
    return create_async_engine(
        url,
        echo=echo,
        pool_pre_ping=True,  # connections broken by a server restart are replaced, not used
        # Parameters are members' texts and names: never in logs or exception messages.
        hide_parameters=True,
        pool_size=10,
        connect_args={"timeout": PG_CONNECT_TIMEOUT_SECONDS},
    )


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


def database_unavailable(error: BaseException) -> bool:
    """Whether `error` means the database is unreachable or busy (retry later), not bad data.

    Covers a refused or dropped connection (raw `OSError`s from the driver's connect, or
    SQLAlchemy errors that invalidated the connection), the pool timing out, PostgreSQL shutting
    down or starting up, and SQLite's operational errors (locked, unable to open the file).
    """
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(
            error, OSError | TimeoutError | sa_exc.TimeoutError | sa_exc.OperationalError
        ):
            return True
        if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, sa_exc.InterfaceError):  # "connection is closed"
            return True
        sqlstate = getattr(error, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(UNAVAILABLE_SQLSTATES):
            return True
        error = getattr(error, "orig", None) or error.__cause__
    return False


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    """Sessions that keep loaded values after commit (handlers read them after the block)."""
    return async_sessionmaker(engine, expire_on_commit=False)
