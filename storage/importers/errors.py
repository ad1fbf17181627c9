"""The one error importers raise: it names the file, the line and the field."""

from __future__ import annotations


class ImportFailed(Exception):
    """A row that cannot be imported; `str()` is 'file:line: field: message'."""

    def __init__(self, file: str, line: int, field: str, message: str) -> None:
        super().__init__(f"{file}:{line}: {field}: {message}")
        self.file = file
        self.line = line
        self.field = field
        self.message = message
