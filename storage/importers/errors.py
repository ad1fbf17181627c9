"""The error importers raise: it names the file, the line and the field."""

from __future__ import annotations

from storage.importers.common import ImportDataError


class ImportFailed(ImportDataError):
    """A row that cannot be imported; `str()` is 'file:line: field: message'."""

    def __init__(self, file: str, line: int, field: str, message: str) -> None:
        super().__init__(file, line, field, message)
        self.file = file
