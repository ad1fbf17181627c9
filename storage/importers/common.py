"""What every importer shares: the error naming file, line and field, and value parsers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.activity import ActivityCounts
from storage.models import Community
from storage.upsert import insert_for

BATCH_EVENTS = 20_000  # events per add_activity call while importing


class ImportDataError(Exception):
    """A file that cannot be imported: nothing of the import is written."""

    def __init__(self, path: Path | str, line: int | None, field: str | None, message: str):
        self.path, self.line, self.field, self.message = Path(path), line, field, message
        where = f"{path}:{line}" if line is not None else str(path)
        super().__init__(f"{where}: {field}: {message}" if field else f"{where}: {message}")


MAX_BIGINT = 2**63 - 1  # the database's 64-bit integers


def parse_int(value: str, *, minimum: int | None = None, maximum: int = MAX_BIGINT) -> int:
    """An integer within a database column's range (ValueError otherwise)."""
    number = int(value.strip())
    if minimum is not None and number < minimum:
        raise ValueError(f"must be at least {minimum}")
    if not -MAX_BIGINT <= number <= maximum:
        raise ValueError(f"{value.strip()!r} is too large")
    return number


def parse_time(value: str) -> datetime:
    """An ISO 8601 timestamp with an offset (or Z), as UTC."""
    value = value.strip()
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise ValueError(f"{value!r} is not an ISO 8601 timestamp") from None
    if at.tzinfo is None:
        raise ValueError(f"{value!r} has no UTC offset (add Z or +08:00)")
    return at.astimezone(UTC)


async def ensure_community(community_id: int, title: str, *, session: AsyncSession) -> bool:
    """Create the community if it does not exist; returns whether it was created."""
    if await session.get(Community, community_id) is not None:
        return False
    stmt = insert_for(session)(Community).values(id=community_id, title=title[:128] or "?")
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["id"]))
    return True


async def list_community_ids(*, session: AsyncSession) -> set[int]:
    """Ids of the communities the database knows (configured ones are synced at start)."""
    return set(await session.scalars(select(Community.id)))


@dataclass
class HistoryContext:
    """What the importers of one `import history` run share (all in one transaction)."""

    session: AsyncSession
    communities: set[int]  # known: configured (synced at start) or created earlier
    store_text: bool = False
    text_since: datetime | None = None
    progress: bool = True
    added: ActivityCounts = field(default_factory=ActivityCounts)
    # Steps to run after every file was read (same transaction), e.g. deferred memberships.
    finish: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def community(self, value: str) -> int:
        """A community id that must be known (ValueError otherwise)."""
        community_id = parse_int(value)
        if community_id not in self.communities:
            raise ValueError(f"community {community_id} is not configured (add it to the config)")
        return community_id


@dataclass
class FileResult:
    """Rows one file held, and rows of it that were new."""

    rows: int = 0
    added: int = 0
