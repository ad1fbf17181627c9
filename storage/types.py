"""Column types shared by every model."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, DateTime, Integer
from sqlalchemy.types import TypeDecorator

# Autoincrement primary keys: BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def strip_nul(text: str) -> str:
    """The text without NUL characters (PostgreSQL text and jsonb cannot hold them)."""
    return text.replace("\x00", "") if "\x00" in text else text


def split_tags(text: str | None) -> list[str]:
    """The tags of a salon as stored (';'-separated), stripped, in order, without repeats.

    The one reader of the stored format outside the recommender, whose
    `recommender.frames.split_tags` reads the same format into a lower-cased set for matching
    (tests/test_tags.py keeps the two in agreement).
    """
    return list(dict.fromkeys(t.strip() for t in (text or "").split(";") if t.strip()))
