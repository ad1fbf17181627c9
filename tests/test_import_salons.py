"""History import of salons and signups (events.csv, signups.csv), on every backend."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from storage.importers import ImportDataError
from storage.importers.errors import ImportFailed
from storage.importers.salons import (
    import_events,
    import_events_csv,
    import_signups_csv,
)
from storage.models import Salon, Signup, User
from storage.users import CommunityInfo, upsert_communities

EVENTS = """event_id,community_id,title,starts_at,ends_at,tags,capacity,price
mu-1,-100,三体读书会,2026-03-01T19:00:00+08:00,2026-03-01T21:00:00+08:00,books; sci-fi,2,49.5
mu-2,-100,Philosophy night,2026-04-01T11:00:00Z,,,,
mu-3,-200,Elsewhere,2026-05-01T10:00:00Z,,,,
"""
SIGNUPS = """event_id,user_id,response,responded_at,attended
mu-1,1,yes,2026-02-20T10:00:00+08:00,1
mu-1,2,YES,2026-02-21T10:00:00Z,0
mu-1,3,waitlist,2026-02-22T10:00:00Z,
mu-1,4,no,2026-02-22T11:00:00Z,
mu-2,1,maybe,2026-03-20T10:00:00Z,
"""


@pytest.fixture
async def communities(db):
    async with db.begin() as session:
        await upsert_communities(
            [CommunityInfo(-100, "读书会", "Asia/Shanghai", "zh"),
             CommunityInfo(-200, "Other", "UTC", "en")], session=session,
        )  # fmt: skip


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


async def count(db, model) -> int:
    async with db.begin() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_import_events_and_signups_is_idempotent(db, communities, tmp_path):
    events = write(tmp_path, "events.csv", EVENTS)
    signups = write(tmp_path, "signups.csv", SIGNUPS)
    async with db.begin() as session:
        assert await import_events_csv(events, session=session) == 3
        assert await import_signups_csv(signups, session=session) == 5
    async with db.begin() as session:
        assert await import_events_csv(events, session=session) == 0
        assert await import_signups_csv(signups, session=session) == 0
    assert await count(db, Salon) == 3 and await count(db, Signup) == 5
    async with db.begin() as session:
        salon = await session.scalar(select(Salon).where(Salon.source_id == "mu-1"))
        found = await session.scalars(select(Signup).where(Signup.salon_id == salon.id))
        rows = {s.user_id: s for s in found}
        users = set(await session.scalars(select(User.id)))
        maybe = await session.scalar(select(Signup).join(Salon).where(Salon.source_id == "mu-2"))
    assert (salon.community_id, salon.title, salon.tags) == (-100, "三体读书会", "books;sci-fi")
    assert salon.starts_at == datetime(2026, 3, 1, 11, 0, tzinfo=UTC)
    assert salon.ends_at == datetime(2026, 3, 1, 13, 0, tzinfo=UTC)
    assert (salon.capacity, salon.price_amount, salon.status) == (2, 4950, "published")
    assert salon.going_count == 2 and len(salon.short_code) == 6 and salon.checkin_code
    statuses = {u: s.status for u, s in rows.items()}
    assert statuses == {1: "going", 2: "going", 3: "waitlist", 4: "declined"}
    assert (rows[1].attended, rows[2].attended, rows[3].attended) == (True, False, None)
    assert rows[3].waitlisted_at == datetime(2026, 2, 22, 10, 0, tzinfo=UTC)
    assert all(s.source == "import" for s in rows.values())
    assert users == {1, 2, 3, 4} and maybe.status == "maybe"


async def test_import_events_from_rows(db, communities):
    row = {"event_id": "a", "community_id": "-100", "title": "T"}
    rows = [{**row, "starts_at": "2026-01-01T10:00Z"}]
    async with db.begin() as session:
        assert await import_events(rows, session=session) == 1
        assert await import_events(rows, session=session) == 0


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ("e,-100,T,2026-01-01 10:00,,,,", "events.csv:3: starts_at: timestamp without an offset"),
        ("e,-100,T,yesterday,,,,", "events.csv:3: starts_at: not an ISO 8601 timestamp"),
        ("e,-100,,2026-01-01T10:00Z,,,,", "events.csv:3: title: missing value"),
        (f"e,-100,{'x' * 101},2026-01-01T10:00Z,,,,", "events.csv:3: title: longer than 100"),
        ("e,-999,T,2026-01-01T10:00Z,,,,", "events.csv:3: community_id: not a configured"),
        ("e,abc,T,2026-01-01T10:00Z,,,,", "events.csv:3: community_id: not a whole number: 'abc'"),
        ("e,-100,T,2026-01-01T10:00Z,,,0,", "events.csv:3: capacity: must be at least 1: '0'"),
        ("e,-100,T,2026-01-01T10:00Z,,,many,", "events.csv:3: capacity: not a whole number"),
        ("e,-100,T,2026-01-01T10:00Z,2026-01-01T09:00Z,,,", "events.csv:3: ends_at: not after"),
        ("e,-100,T,2026-01-01T10:00Z,,,,free", "events.csv:3: price: not a number: 'free'"),
        (",-100,T,2026-01-01T10:00Z,,,,", "events.csv:3: event_id: missing value"),
        ("ok,-100,T2,2026-01-01T10:00Z,,,,", "events.csv:3: event_id: repeats line 2"),
    ],
)
async def test_bad_event_rows_name_file_line_field_and_write_nothing(
    db, communities, tmp_path, row, error
):
    header = "event_id,community_id,title,starts_at,ends_at,tags,capacity,price\n"
    first = "ok,-100,Fine,2026-01-01T10:00Z,,,,\n"
    path = write(tmp_path, "events.csv", header + first + row + "\n")
    async with db.begin() as session:
        with pytest.raises(ImportFailed) as raised:
            await import_events_csv(path, session=session)
    assert str(raised.value).startswith(error)
    assert raised.value.file == "events.csv" and raised.value.line == 3
    assert await count(db, Salon) == 0


async def test_missing_column_is_reported_on_the_header_line(db, communities, tmp_path):
    path = write(tmp_path, "events.csv", "event_id,community_id,title\ne,-100,T\n")
    async with db.begin() as session:
        with pytest.raises(ImportDataError) as raised:
            await import_events_csv(path, session=session)
    assert str(raised.value) == f"{path}:1: starts_at: required column is missing"


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ("e1,1,perhaps,2026-01-01T10:00Z,", "signups.csv:3: response: must be one of"),
        ("e1,1,yes,2026-01-01T10:00Z,2", "signups.csv:3: attended: must be 0, 1 or empty"),
        ("e1,-5,yes,2026-01-01T10:00Z,", "signups.csv:3: user_id: must be at least 1"),
        ("e1,x,yes,2026-01-01T10:00Z,", "signups.csv:3: user_id: not a whole number"),
        ("e1,1,yes,,", "signups.csv:3: responded_at: missing value"),
        ("e1,7,yes,2026-01-01T10:00Z,", "signups.csv:3: user_id: repeats the signup on line 2"),
        ("nope,1,yes,2026-01-01T10:00Z,", "signups.csv:3: event_id: unknown event"),
        ("twice,1,yes,2026-01-01T10:00Z,", "signups.csv:3: event_id: ambiguous event: 'twice'"),
    ],
)
async def test_bad_signup_rows_name_file_line_field_and_write_nothing(
    db, communities, tmp_path, row, error
):
    events = "event_id,community_id,title,starts_at\ne1,-100,T,2026-01-01T10:00Z\n"
    events += "twice,-100,A,2026-01-01T10:00Z\ntwice,-200,B,2026-01-01T10:00Z\n"
    async with db.begin() as session:
        await import_events_csv(write(tmp_path, "events.csv", events), session=session)
    header = "event_id,user_id,response,responded_at,attended\n"
    path = write(tmp_path, "signups.csv", header + "e1,7,yes,2026-01-01T10:00Z,\n" + row + "\n")
    async with db.begin() as session:
        with pytest.raises(ImportFailed) as raised:
            await import_signups_csv(path, session=session)
    assert str(raised.value).startswith(error)
    assert await count(db, Signup) == 0 and await count(db, User) == 0
