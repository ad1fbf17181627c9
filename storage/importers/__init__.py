"""Importers of history from other sources: Telegram Desktop exports and CSV files.

Each import runs in the caller's one transaction: a bad row raises `ImportDataError` (naming
the file, line and field) and the caller's rollback leaves the database unchanged.
"""

from storage.importers.common import ImportDataError

__all__ = ["ImportDataError"]
