"""INSERT ... ON CONFLICT for both backends (their dialect constructs share one API)."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert_for(session: AsyncSession):
    """The dialect `insert` (with on_conflict_do_update/do_nothing) for this session's backend."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"unsupported database backend: {name}")
