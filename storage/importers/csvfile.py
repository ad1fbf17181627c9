"""Streaming CSV: encoding, header checks, rows with their line numbers, a progress bar.

The one reader of every `import history` file. UTF-8 (with or without a BOM) is read as it
is; a file that is not UTF-8 but reads as GB18030 (Excel's "CSV" on Chinese Windows, a
superset of GBK and GB2312) with Chinese text is read as GB18030; anything else is refused
with how to re-save it. Unknown or repeated columns and rows with more or fewer fields than
the header are errors naming the file, line and column.
"""

from __future__ import annotations

import codecs
import csv
import unicodedata
from collections.abc import Callable, Iterator
from itertools import islice
from pathlib import Path
from typing import TypeVar

from tqdm import tqdm

from storage.importers.common import ImportDataError

T = TypeVar("T")
Row = dict[str, str]


CHUNK = 1 << 20
RESAVE = "re-save it as UTF-8 (Excel: Save As > 'CSV UTF-8 (Comma delimited)')"


def _first_bad_line(path: Path, encoding: str) -> int | None:
    """The line of the first byte that does not decode, or None if the whole file does."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as error:
                return line + chunk.count(b"\n", 0, error.start)
            line += chunk.count(b"\n")
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line
    return None


def _mostly_chinese(path: Path) -> bool:
    """Whether the non-ASCII characters of a GB18030 file are mostly CJK (not mis-decoded).

    Judged on the first 10,000 non-ASCII characters: enough to tell, fast on a large file.
    """
    cjk = other = 0
    with path.open(encoding="gb18030") as file:
        while cjk + other < 10_000 and (text := file.read(CHUNK)):
            for char in text:
                if ord(char) < 128:
                    continue
                name = unicodedata.name(char, "")
                if name.startswith(("CJK", "FULLWIDTH", "IDEOGRAPHIC", "HALFWIDTH")):
                    cjk += 1
                else:
                    other += 1
    return cjk > 0 and other <= cjk // 10


def detect_encoding(path: Path) -> str:
    """`utf-8-sig` or `gb18030`; ImportDataError naming the first bad line otherwise."""
    bad = _first_bad_line(path, "utf-8")
    if bad is None:
        return "utf-8-sig"
    if _first_bad_line(path, "gb18030") is None and _mostly_chinese(path):
        return "gb18030"
    raise ImportDataError(path, bad, None, f"neither UTF-8 nor GB18030/GBK text; {RESAVE}")


def _lines(path: Path, bar: tqdm, encoding: str) -> Iterator[str]:
    """Decoded lines, advancing `bar` by bytes read.

    Splitting bytes at newlines is safe in both encodings: no byte of a multi-byte UTF-8 or
    GB18030 character is 0x0A.
    """
    with path.open("rb") as file:
        for number, raw in enumerate(file, start=1):
            bar.update(len(raw))
            try:
                yield raw.decode(encoding if number == 1 else encoding.removesuffix("-sig"))
            except UnicodeDecodeError:
                raise ImportDataError(path, number, None, f"not {encoding} text") from None


def read_rows(
    path: Path, required: tuple[str, ...], optional: tuple[str, ...], *, progress: bool = True
) -> Iterator[tuple[int, Row]]:
    """(line number, row) for every record; the header must name the required columns."""
    encoding = detect_encoding(path)
    with tqdm(total=path.stat().st_size, unit="B", unit_scale=True, desc=path.name,
              disable=not progress, leave=False) as bar:  # fmt: skip
        reader = csv.reader(_lines(path, bar, encoding), strict=True)
        try:
            header = _header(path, next(reader, []), required, optional)
            start = reader.line_num + 1
            for record in reader:
                if record and record != [""] * len(record):  # blank lines, or only commas
                    _check_width(path, start, header, record)
                    yield start, dict(zip(header, record, strict=True))
                start = reader.line_num + 1
        except csv.Error as error:
            raise ImportDataError(path, reader.line_num, None, f"malformed CSV ({error})") from None


def _header(
    path: Path, names: list[str], required: tuple[str, ...], optional: tuple[str, ...]
) -> list[str]:
    """The checked column names of the header row."""
    header = [name.strip() for name in names]
    known = set(required) | set(optional)
    for number, name in enumerate(header, start=1):
        if name not in known:
            expected = ", ".join(required + optional)
            column = name or f"column {number}"
            problem = "unknown column" if name else "column without a name"
            raise ImportDataError(path, 1, column, f"{problem} (expected {expected})")
        if header.index(name) != number - 1:
            raise ImportDataError(path, 1, name, "column named twice")
    for name in required:
        if name not in header:
            raise ImportDataError(path, 1, name, "required column is missing")
    return header


def _check_width(path: Path, line: int, header: list[str], record: list[str]) -> None:
    """A row must have one field per column of the header."""
    if len(record) < len(header):
        message = f"missing: {len(record)} fields where the header has {len(header)}"
        raise ImportDataError(path, line, header[len(record)], message)
    if len(record) > len(header):
        message = f"extra field: {len(record)} fields where the header has {len(header)}"
        raise ImportDataError(path, line, f"column {len(header) + 1}", message)


def count_rows(path: Path) -> int:
    """Records after the header (blank lines not counted)."""
    with path.open(encoding=detect_encoding(path), newline="") as file:
        return max(sum(1 for record in csv.reader(file) if any(record)) - 1, 0)


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
