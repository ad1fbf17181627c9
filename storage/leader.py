"""The leader lock on PostgreSQL: a session-level advisory lock held on its own connection.

Several `salonbot run` processes share one database; the one whose dedicated connection holds
the lock runs the scheduler and the dispatcher. PostgreSQL releases a session lock when its
session ends, so a crashed leader's lock frees itself. Advisory locks are scoped to the
database, so two bots on two databases of one server never compete.
"""

from __future__ import annotations

from sqlalchemy import NullPool, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, create_async_engine

# Held by `salonbot migrate` (migrations/env.py) while it upgrades: not the leader's key, so
# a new version's migration never waits for the running leader.
MIGRATION_LOCK_KEY = int.from_bytes(b"salonmig")

# The lock's row in pg_locks: a bigint key is split into classid (high half) and objid (low
# half), with objsubid 1 (two int4 keys would give objsubid 2).
_HOLDER = text(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1"
    " AND classid::bigint = :high AND objid::bigint = :low"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def is_postgres(url: str) -> bool:
    """Whether a database URL is PostgreSQL (SQLite needs no election: one process)."""
    return make_url(url).get_backend_name() == "postgresql"


def lock_engine(url: str, *, keepalive_seconds: int) -> AsyncEngine:
    """An engine for the one long-lived lock connection (no pool: it is never shared).

    The server-side TCP keepalives make PostgreSQL notice a vanished leader host (and free
    its lock) after about 4 x `keepalive_seconds` instead of the kernel's two hours.
    """
    seconds = str(max(1, int(keepalive_seconds)))
    settings = {
        "application_name": "salonbot-leader",
        "tcp_keepalives_idle": seconds,
        "tcp_keepalives_interval": seconds,
        "tcp_keepalives_count": "3",
    }
    # Autocommit: the connection never sits idle inside a transaction between checks.
    return create_async_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT",
                               connect_args={"server_settings": settings})  # fmt: skip


def _halves(key: int) -> dict[str, int]:
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return {"high": unsigned >> 32, "low": unsigned & 0xFFFFFFFF}


async def try_lock(connection: AsyncConnection, key: int) -> bool:
    """Take the lock on this connection's session if it is free (never waits)."""
    return bool(await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}))


async def unlock(connection: AsyncConnection, key: int) -> None:
    """Release the lock this session holds."""
    await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


async def backend_pid(connection: AsyncConnection) -> int:
    """The server process id of this connection's session (the lock holder's identity)."""
    return int(await connection.scalar(text("SELECT pg_backend_pid()")))


async def get_lock_holder(key: int, *, session: AsyncSession | AsyncConnection) -> int | None:
    """The server pid of the session holding the lock, or None when it is free."""
    return await session.scalar(_HOLDER, _halves(key))
