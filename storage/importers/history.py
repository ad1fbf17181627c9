"""`salonbot import history DIR`: the CSV files of docs/data-formats.md, in one transaction.

Files are imported in the order of `HISTORY_FILES` (members before what refers to them);
each importer is `async def import_x(path, ctx) -> FileResult`. Another importer is one
more line in the list. Any bad row raises `ImportDataError` and the caller rolls back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession

from storage.importers.activity_csv import (
    MEMBER_COLUMNS,
    MEMBER_OPTIONAL,
    import_members,
    import_messages,
    import_reactions,
)
from storage.importers.common import (
    FileResult,
    HistoryContext,
    ImportDataError,
    list_community_ids,
)
from storage.importers.csvfile import count_rows, read_rows
from storage.importers.salons import import_events_csv, import_signups_csv
from storage.users import CommunityInfo, upsert_communities


@dataclass(frozen=True)
class HistoryFile:
    """One file of a history directory and the function that imports it."""

    name: str
    required: bool
    load: Callable[[Path, HistoryContext], Awaitable[FileResult]]


async def _import_events(path: Path, ctx: HistoryContext) -> FileResult:
    return FileResult(count_rows(path), await import_events_csv(path, session=ctx.session))


async def _import_signups(path: Path, ctx: HistoryContext) -> FileResult:
    return FileResult(count_rows(path), await import_signups_csv(path, session=ctx.session))


HISTORY_FILES: list[HistoryFile] = [
    HistoryFile("members.csv", True, import_members),
    HistoryFile("events.csv", False, _import_events),
    HistoryFile("signups.csv", False, _import_signups),
    HistoryFile("messages.csv", False, import_messages),
    HistoryFile("reactions.csv", False, import_reactions),
]


def _integer(text: str) -> bool:
    """Whether int() takes it: ASCII digits only ("²" passes isdigit() but not int())."""
    digits = text.removeprefix("-")
    return digits.isascii() and digits.isdigit()


async def add_missing_communities(directory: Path, *, session: AsyncSession) -> list[int]:
    """Create the communities members.csv names that the database does not know yet."""
    path = Path(directory) / "members.csv"
    if not path.is_file():
        return []
    rows = read_rows(path, MEMBER_COLUMNS, MEMBER_OPTIONAL, progress=False)
    ids = {int(r["community_id"]) for _line, r in rows
           if _integer((r.get("community_id") or "").strip())}  # fmt: skip
    new = sorted(ids - set(await list_community_ids(session=session)))
    await upsert_communities(
        [CommunityInfo(cid, f"Community {cid}", "UTC", "en") for cid in new], session=session
    )
    return new


@dataclass
class HistoryResult:
    """Per file: rows read and rows added; files in DIR no importer knows."""

    files: dict[str, FileResult]
    ignored: list[str]


async def import_history(
    directory: Path,
    *,
    session: AsyncSession,
    store_text: bool = False,
    text_since: datetime | None = None,
    progress: bool = True,
) -> HistoryResult:
    """Import every known file of `directory` (required ones must exist)."""
    present, ignored = _plan(directory)
    ctx = HistoryContext(
        session=session,
        communities=await list_community_ids(session=session),
        store_text=store_text,
        text_since=text_since,
        progress=progress,
    )
    files = {}
    for spec in present:
        files[spec.name] = await spec.load(directory / spec.name, ctx)
    for step in ctx.finish:
        await step()
    return HistoryResult(files, ignored)


def _plan(directory: Path) -> tuple[list[HistoryFile], list[str]]:
    """The known files present (in import order) and the CSV files no importer knows."""
    if not directory.is_dir():
        raise ImportDataError(directory, None, None, "not a directory")
    for spec in HISTORY_FILES:
        if spec.required and not (directory / spec.name).is_file():
            raise ImportDataError(directory / spec.name, None, None, "required file is missing")
    present = [spec for spec in HISTORY_FILES if (directory / spec.name).is_file()]
    known = {spec.name for spec in HISTORY_FILES}
    return present, sorted(p.name for p in directory.glob("*.csv") if p.name not in known)
