"""Import past salons and their signups from CSV (events.csv, signups.csv;
formats in docs/data-formats.md).

Both importers check every row before writing, raise `ImportFailed` naming the file, line and
field of the first bad row, and are idempotent: salons on (community_id, event_id), signups on
(salon, user). They never commit; the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.erasures import erased_before, get_erasures
from storage.importers.csvfile import read_rows
from storage.importers.errors import ImportFailed
from storage.models import Community, Salon, Signup, User
from storage.models.salons import DECLINED, GOING, HOLDS_SEAT, SALON_PUBLISHED, WAITLIST
from storage.salons import new_code
from storage.types import split_tags, utcnow
from storage.upsert import insert_for

EVENT_COLUMNS = ("event_id", "community_id", "title", "starts_at")
EVENT_OPTIONAL = ("ends_at", "tags", "capacity", "price")
SIGNUP_COLUMNS = ("event_id", "user_id", "response", "responded_at")
SIGNUP_OPTIONAL = ("attended",)
MAYBE = "maybe"
RESPONSES = {"yes": GOING, "no": DECLINED, "waitlist": WAITLIST, "maybe": MAYBE}
IMPORTED = "import"
CHUNK = 500

Rows = Iterable[tuple[int, Mapping[str, str | None]]]


class _Row:
    """One CSV row with typed, validated accessors that raise `ImportFailed`."""

    def __init__(self, file: str, line: int, values: Mapping[str, str | None]) -> None:
        self.file, self.line, self.values = file, line, values

    def fail(self, field: str, message: str) -> ImportFailed:
        return ImportFailed(self.file, self.line, field, message)

    def text(self, field: str, *, required: bool = True, max_length: int = 1000) -> str:
        value = (self.values.get(field) or "").strip()
        if required and not value:
            raise self.fail(field, "missing value")
        if len(value) > max_length:
            raise self.fail(field, f"longer than {max_length} characters")
        return value

    def integer(self, field: str, *, required: bool = True, minimum: int | None = None):
        value = self.text(field, required=required, max_length=20)
        if not value:
            return None
        try:
            number = int(value)
        except ValueError:
            raise self.fail(field, f"not a whole number: {value!r}") from None
        if minimum is not None and number < minimum:
            raise self.fail(field, f"must be at least {minimum}: {value!r}")
        return number

    def moment(self, field: str, *, required: bool = True) -> datetime | None:
        value = self.text(field, required=required, max_length=40)
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise self.fail(field, f"not an ISO 8601 timestamp: {value!r}") from None
        if moment.tzinfo is None:
            raise self.fail(field, f"timestamp without an offset (add Z or +08:00): {value!r}")
        return moment


def _numbered(rows: Iterable[Mapping[str, str | None]], first_line: int) -> Rows:
    return ((first_line + i, row) for i, row in enumerate(rows))


async def import_events_csv(path: Path, *, session: AsyncSession) -> int:
    """Import events.csv; returns the number of salons added."""
    path = Path(path)
    rows = read_rows(path, EVENT_COLUMNS, EVENT_OPTIONAL, progress=False)
    return await _import_events(rows, session=session, file=path.name)


async def import_signups_csv(path: Path, *, session: AsyncSession) -> int:
    """Import signups.csv; returns the number of signups added."""
    path = Path(path)
    rows = read_rows(path, SIGNUP_COLUMNS, SIGNUP_OPTIONAL, progress=False)
    return await _import_signups(rows, session=session, file=path.name)


async def import_events(
    rows: Iterable[Mapping[str, str | None]],
    *,
    session: AsyncSession,
    file: str = "events.csv",
    first_line: int = 2,
) -> int:
    """Import events.csv-shaped rows (dicts of strings); returns the number of salons added."""
    return await _import_events(_numbered(rows, first_line), session=session, file=file)


async def import_signups(
    rows: Iterable[Mapping[str, str | None]],
    *,
    session: AsyncSession,
    file: str = "signups.csv",
    first_line: int = 2,
) -> int:
    """Import signups.csv-shaped rows (dicts of strings); returns the number of signups added."""
    return await _import_signups(_numbered(rows, first_line), session=session, file=file)


def _event(row: _Row) -> dict:
    starts_at = row.moment("starts_at")
    ends_at = row.moment("ends_at", required=False)
    if ends_at is not None and ends_at <= starts_at:
        raise row.fail("ends_at", "not after starts_at")
    tags = split_tags(row.text("tags", required=False, max_length=400))
    price = row.text("price", required=False, max_length=20)
    try:
        hundredths = int(Decimal(price or "0") * 100)
    except InvalidOperation:
        raise row.fail("price", f"not a number: {price!r}") from None
    if hundredths < 0:
        raise row.fail("price", "negative")
    return {
        "source_id": row.text("event_id", max_length=64),
        "community_id": row.integer("community_id"),
        "title": row.text("title", max_length=100),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "tags": ";".join(tags),
        "capacity": row.integer("capacity", required=False, minimum=1),
        "price_amount": hundredths,
    }


async def _import_events(rows: Rows, *, session: AsyncSession, file: str) -> int:
    events, lines = [], {}
    for line, values in rows:
        event = _event(_Row(file, line, values))
        key = (event["community_id"], event["source_id"])
        if key in lines:
            raise ImportFailed(file, line, "event_id", f"repeats line {lines[key]}")
        lines[key] = line
        events.append(event)
    wanted = {e["community_id"] for e in events}
    known = set(await session.scalars(select(Community.id).where(Community.id.in_(wanted))))
    for event in events:
        if event["community_id"] not in known:
            line = lines[(event["community_id"], event["source_id"])]
            raise ImportFailed(file, line, "community_id", "not a configured community")
    existing = set()
    for chunk in _chunks([e["source_id"] for e in events]):
        found = await session.execute(
            select(Salon.community_id, Salon.source_id).where(Salon.source_id.in_(chunk))
        )
        existing.update(tuple(r) for r in found)
    new = [e for e in events if (e["community_id"], e["source_id"]) not in existing]
    codes = await _fresh_codes(len(new), session=session)
    now = utcnow()
    common = {"description": "", "location": "", "going_count": 0, "currency": "",
              "status": SALON_PUBLISHED, "created_at": now, "updated_at": now}  # fmt: skip
    insert = insert_for(session)
    added = 0
    rows = [
        {**e, **common, "short_code": code, "checkin_code": new_code(4)}
        for e, code in zip(new, codes, strict=True)
    ]
    for chunk in _chunks(rows):
        stmt = (
            insert(Salon)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=["community_id", "source_id"])
            .returning(Salon.id)
        )
        added += len((await session.execute(stmt)).all())
    return added


async def _fresh_codes(count: int, *, session: AsyncSession) -> list[str]:
    """`count` distinct short codes not used by any salon."""
    codes: set[str] = set()
    while len(codes) < count:
        batch = {new_code() for _ in range(count - len(codes))} - codes
        query = select(Salon.short_code).where(Salon.short_code.in_(batch))
        taken = set(await session.scalars(query))
        codes |= batch - taken
    return list(codes)


def _signup(row: _Row) -> dict:
    response = row.text("response", max_length=20).lower()
    if response not in RESPONSES:
        raise row.fail("response", f"must be one of yes, no, waitlist, maybe: {response!r}")
    attended = row.text("attended", required=False, max_length=5)
    if attended not in ("", "0", "1"):
        raise row.fail("attended", f"must be 0, 1 or empty: {attended!r}")
    responded_at = row.moment("responded_at")
    status = RESPONSES[response]
    return {
        "event_id": row.text("event_id", max_length=64),
        "user_id": row.integer("user_id", minimum=1),
        "status": status,
        "responded_at": responded_at,
        "waitlisted_at": responded_at if status == WAITLIST else None,
        "attended": None if attended == "" else attended == "1",
    }


async def _import_signups(rows: Rows, *, session: AsyncSession, file: str) -> int:
    signups, lines = [], {}
    for line, values in rows:
        signup = _signup(_Row(file, line, values))
        key = (signup["event_id"], signup["user_id"])
        if key in lines:
            raise ImportFailed(file, line, "user_id", f"repeats the signup on line {lines[key]}")
        lines[key] = line
        signups.append((line, signup))
    salon_ids: dict[str, list[int]] = {}
    for chunk in _chunks(list({s["event_id"] for _line, s in signups})):
        found = await session.execute(
            select(Salon.source_id, Salon.id).where(Salon.source_id.in_(chunk))
        )
        for source_id, salon_id in found:
            salon_ids.setdefault(source_id, []).append(salon_id)
    for line, signup in signups:
        ids = salon_ids.get(signup["event_id"], [])
        if len(ids) != 1:
            problem = "unknown event (import events.csv first)" if not ids else "ambiguous event"
            raise ImportFailed(file, line, "event_id", f"{problem}: {signup['event_id']!r}")
    # A re-import of an old export does not bring back people who deleted their data.
    erasures = await get_erasures({s["user_id"] for _line, s in signups}, session=session)
    signups = [(line, s) for line, s in signups
               if not erased_before(erasures, s["user_id"], s.get("responded_at"))]  # fmt: skip
    insert = insert_for(session)
    now = utcnow()
    for chunk in _chunks(sorted({s["user_id"] for _line, s in signups})):
        users = [{"id": uid, "first_name": "", "dm_status": "unknown", "created_at": now,
                  "updated_at": now} for uid in chunk]  # fmt: skip
        await session.execute(insert(User).values(users).on_conflict_do_nothing())
    records = [
        {**{k: v for k, v in s.items() if k != "event_id"},
         "salon_id": salon_ids[s["event_id"]][0], "source": IMPORTED, "created_at": now}
        for _line, s in signups
    ]  # fmt: skip
    added = 0
    for chunk in _chunks(records):
        stmt = (
            insert(Signup)
            .values(chunk)
            .on_conflict_do_nothing(index_elements=["salon_id", "user_id"])
            .returning(Signup.id)
        )
        added += len((await session.execute(stmt)).all())
    await _recount_seats({r["salon_id"] for r in records}, session=session)
    return added


async def _recount_seats(salon_ids: set[int], *, session: AsyncSession) -> None:
    """Bring `going_count` in line with the signups that hold a seat."""
    holding = (
        select(func.count())
        .where(Signup.salon_id == Salon.id, Signup.status.in_(HOLDS_SEAT))
        .correlate(Salon)
        .scalar_subquery()
    )
    for chunk in _chunks(sorted(salon_ids)):
        await session.execute(update(Salon).where(Salon.id.in_(chunk)).values(going_count=holding))


def _chunks(items: list, size: int = CHUNK) -> Iterator[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
