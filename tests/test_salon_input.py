"""Reading organizer input and untrusted callback data (pure functions, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.salons.input import (
    InputError,
    check_deadline,
    parse_duration,
    parse_one_liner,
    parse_tags,
    to_utc,
)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("90", 90), ("90m", 90), ("2h", 120), ("1.5h", 90), ("1h30", 90), ("2 h 15 min", 135),
     ("2小时", 120), ("45分钟", 45), ("24h", 1440)],
)  # fmt: skip
def test_durations(text, minutes):
    assert parse_duration(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["", "h", "0", "25h", "soon", "-30", "1.5"])
def test_bad_durations(text):
    with pytest.raises(InputError):
        parse_duration(text)


def test_tags_accept_full_width_separators_and_drop_duplicates():
    assert parse_tags("读书；哲学, #books;读书; ") == ("reading", "哲学", "books")
    # A known topic in either language is stored once, under its key, shown in the reader's.
    assert parse_tags("人工智能、AI，＃创业") == ("ai", "startups")
    with pytest.raises(InputError):
        parse_tags(";".join(f"{i}{'x' * 50}" for i in range(9)))


def test_one_liner_fields_and_local_time():
    one = parse_one_liner(" Talk |2026-12-03   19:30| 12 ")
    assert (one.title, one.capacity, one.location, one.tags) == ("Talk", 12, "", ())
    assert to_utc(one.local_start, "Asia/Shanghai") == datetime(2026, 12, 3, 11, 30, tzinfo=UTC)


def test_deadline_rules():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    start = now + timedelta(days=2)
    assert check_deadline(start, start, now) == start
    for deadline in (now - timedelta(minutes=1), start + timedelta(minutes=1)):
        with pytest.raises(InputError):
            check_deadline(deadline, start, now)
