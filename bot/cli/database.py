"""The CLI's database checks: a command before `salonbot migrate` says so in one line.

Reading verbs (stats, train, evaluate, score) never create or migrate the database: on a
database that does not exist or is not at the newest revision they stop with one line
saying to run `salonbot migrate` (exit 2), and leave no empty SQLite file behind.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine


class CliError(Exception):
    """A user error in a CLI verb: printed on stderr, exit status 2."""


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def remove_sqlite_file(path: Path) -> None:
    """Delete a SQLite database and its WAL files (one this command created)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def check_exists(url: str) -> None:
    """CliError if the URL names a SQLite file that does not exist (connecting creates it)."""
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise CliError(f"no database at {path} yet: run `salonbot migrate` first")


async def check_schema(engine: AsyncEngine, url: str) -> None:
    """CliError unless the database is at the newest revision the migrations know."""
    from storage.migrate import current_revision, head_revision

    quiet = logging.getLogger("alembic.runtime.migration")  # "Context impl ..." at INFO
    level = quiet.level
    quiet.setLevel(logging.WARNING)
    try:
        current = await current_revision(engine)
    except (SQLAlchemyError, OSError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise CliError(f"cannot open the database ({type(error).__name__}: {first})") from None
    finally:
        quiet.setLevel(level)
    head = head_revision(url)
    if current is None:
        raise CliError("the database has no tables yet: run `salonbot migrate` first")
    if current != head:
        raise CliError(
            f"the database is at revision {current}, this version needs {head}: "
            "run `salonbot migrate` first"
        )
