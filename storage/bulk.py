"""Many-row statements through the driver's executemany, for the activity hot path.

SQLAlchemy's per-row parameter processing costs about 30-60 µs a row; the ingest path writes
thousands of rows a second, so it compiles each statement once and hands plain values to
the driver: tuples to SQLite's executemany, one array per column to a single PostgreSQL
`INSERT ... SELECT unnest(...)` (one round trip, not one per row). Only the column types
the activity tables use are handled: integers, strings, booleans, NULL, aware datetimes
and dates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from operator import itemgetter

from sqlalchemy import ColumnElement, DateTime, Table, any_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import TypeDecorator

from storage.upsert import insert_for

IN_CHUNK = 5000  # values per IN (...): far below SQLite's and asyncpg's parameter limits


def chunks(values: Sequence, size: int = IN_CHUNK) -> Iterable[Sequence]:
    """`values` in slices of at most `size` (for IN lists)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def among(session: AsyncSession, column: ColumnElement, values: Sequence) -> ColumnElement:
    """`column IN values`; on PostgreSQL `= ANY(array)`, one prepared statement for any size."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def _sqlite_time(value: datetime | None) -> str | None:
    # The storage format of SQLAlchemy's SQLite DATETIME (see storage.types.UTCDateTime).
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_value(value: object) -> object:
    if isinstance(value, datetime):
        return _sqlite_time(value)
    if isinstance(value, date):
        return value.isoformat()
    return int(value) if isinstance(value, bool) else value


def _defaults(table: Table, given: Sequence[str]) -> dict[str, object]:
    """Python-side defaults of the columns a caller did not give (evaluated once a batch)."""
    values = {}
    for column in table.columns:
        default = column.default
        if column.key in given or default is None:
            continue
        if default.is_scalar:
            values[column.key] = default.arg
        elif default.is_callable:
            values[column.key] = default.arg(None)
    return values


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]  # the positional parameters, in order
    literals: dict[str, object]  # values of parameters that are not per-row columns
    times: tuple[int, ...]  # positions of per-row timestamps (converted on SQLite)


# (statement builder, dialect name, column keys) -> compiled statement; like SQLAlchemy's own
# compiled cache: a pure function of its key, filled on first use.
_cache: dict[tuple[Callable, str, tuple[str, ...]], _Compiled] = {}


def _compile(session: AsyncSession, dialect, table: Table, build, keys, defaults) -> _Compiled:
    stmt = build(insert_for(session))
    columns = [*keys, *defaults]
    if dialect.name == "postgresql":
        # One execution for the whole batch: the rows arrive as one array per column.
        arrays = [func.unnest(bindparam(k, type_=ARRAY(table.c[k].type))) for k in columns]
        stmt = stmt.from_select(columns, select(*arrays))
    sql = stmt.compile(dialect=dialect, column_keys=columns)
    names = tuple(sql.positiontup)
    literals = {n: v for n, v in sql.params.items() if n not in keys and n not in defaults}
    times = tuple(
        i for i, n in enumerate(names)
        if n in keys and isinstance(table.c[n].type, DateTime | TypeDecorator)
    )  # fmt: skip
    return _Compiled(str(sql), names, literals, times)


async def execute_many(
    session: AsyncSession, table: Table, build: Callable[[Callable], Insert], rows: Sequence[dict]
) -> None:
    """Execute the INSERT (or upsert) on `table` that `build(insert)` makes, for many rows.

    `build` is a module-level function given the dialect's `insert`; its statement is compiled
    once per backend. `rows` are dicts with the same keys (datetimes timezone-aware). On
    SQLite the rows go through executemany; on PostgreSQL as arrays in one statement.
    """
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    keys = tuple(rows[0])
    defaults = _defaults(table, keys)
    compiled = _cache.get((build, dialect.name, keys))
    if compiled is None:
        compiled = _compile(session, dialect, table, build, keys, defaults)
        _cache[build, dialect.name, keys] = compiled
    if dialect.name == "postgresql":
        columns = {k: [row[k] for row in rows] for k in keys}
        columns.update((k, [v] * len(rows)) for k, v in defaults.items())
        values = tuple(columns.get(n, compiled.literals.get(n)) for n in compiled.names)
        await connection.exec_driver_sql(compiled.sql, values)
        return
    fixed = {n: _sqlite_value(v) for n, v in (compiled.literals | defaults).items()}
    if fixed:
        rows = [row | fixed for row in rows]
    get = itemgetter(*compiled.names)
    params = [get(row) for row in rows]
    if len(compiled.names) == 1:
        params = [(value,) for value in params]
    if compiled.times:
        params = [_with_times(values, compiled.times) for values in params]
    await connection.exec_driver_sql(compiled.sql, params)


def _with_times(values: tuple, positions: tuple[int, ...]) -> tuple:
    values = list(values)
    for i in positions:
        values[i] = _sqlite_time(values[i])
    return tuple(values)
