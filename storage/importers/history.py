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

from storage.importers.activity_csv import import_members, import_messages, import_reactions
from storage.importers.common import (
    FileResult,
    HistoryContext,
    ImportDataError,
    list_community_ids,
)


@dataclass(frozen=True)
class HistoryFile:
    """One file of a history directory and the function that imports it."""

    name: str
    required: bool
    load: Callable[[Path, HistoryContext], Awaitable[FileResult]]


HISTORY_FILES: list[HistoryFile] = [
    HistoryFile("members.csv", True, import_members),
    HistoryFile("messages.csv", False, import_messages),
    HistoryFile("reactions.csv", False, import_reactions),
]


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
