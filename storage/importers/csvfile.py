"""Streaming CSV: header checks, rows with their line numbers, a progress bar on stderr."""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import TypeVar

from tqdm import tqdm

from storage.importers.common import ImportDataError

T = TypeVar("T")
Row = dict[str, str]


def _lines(path: Path, bar: tqdm) -> Iterator[str]:
    """Decoded lines of a UTF-8 file (BOM allowed), advancing `bar` by bytes read."""
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            bar.update(len(raw))
            try:
                yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError:
                raise ImportDataError(path, number, None, "not UTF-8 text") from None


def read_rows(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...], *, progress: bool = True
) -> Iterator[tuple[int, Row]]:
    """(line number, row) for every record; the header must name the required columns."""
    with tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=path.name,
              disable=not progress, leave=False) as bar:  # fmt: skip
        reader = csv.reader(_lines(path, bar), strict=True)
        try:
            header = [name.strip() for name in next(reader, [])]
            known = set(required) | set(optional)
            for name in header:
                if name not in known:
                    expected = ", ".join(required + optional)
                    raise ImportDataError(path, 1, name, f"unknown column (expected {expected})")
            for name in required:
                if name not in header:
                    raise ImportDataError(path, 1, name, "required column is missing")
            start = reader.line_num + 1
            for record in reader:
                if record:
                    if len(record) != len(header):
                        message = f"{len(record)} fields where the header has {len(header)}"
                        raise ImportDataError(path, start, None, message)
                    yield start, dict(zip(header, record, strict=True))
                start = reader.line_num + 1
        except csv.Error as error:
            raise ImportDataError(path, reader.line_num, None, f"malformed CSV ({error})") from None


def field(path: Path, line: int, row: Row, name: str, parse: Callable[[str], T]) -> T | None:
    """A parsed value; None when the column is absent or empty; ImportDataError when bad."""
    value = row.get(name, "")
    if value == "":
        return None
    try:
        return parse(value)
    except ValueError as error:
        raise ImportDataError(path, line, name, str(error)) from None


def required(path: Path, line: int, row: Row, name: str, parse: Callable[[str], T]) -> T:
    """A parsed value that must be present."""
    value = field(path, line, row, name, parse)
    if value is None:
        raise ImportDataError(path, line, name, "missing value")
    return value


def chunked(items: Iterator[T], size: int) -> Iterator[list[T]]:
    """Lists of at most `size` items."""
    while chunk := list(islice(items, size)):
        yield chunk
