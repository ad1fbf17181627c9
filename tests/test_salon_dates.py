"""Dates and times as organizers type them: forms, full-width input, properties, fuzz."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.salons.dates import parse_when
from bot.salons.input import InputError, parse_local_time, parse_one_liner

FRIDAY_EVENING = datetime(2026, 12, 4, 20, 0)  # a Friday, 20:00 local
FULL_WIDTH = str.maketrans("0123456789:/", "０１２３４５６７８９：／")
ZH_WEEKDAYS = "一二三四五六日"

moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)).map(
    lambda d: d.replace(second=0, microsecond=0)
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-05 19:30", datetime(2026, 12, 5, 19, 30)),
        ("2026/12/05 19:30", datetime(2026, 12, 5, 19, 30)),
        ("2026年12月5日 19:30", datetime(2026, 12, 5, 19, 30)),
        ("12月5日 19:30", datetime(2026, 12, 5, 19, 30)),
        ("12月5号19：30", datetime(2026, 12, 5, 19, 30)),
        ("１２月５日　１９：３０", datetime(2026, 12, 5, 19, 30)),
        ("12月3日 19:30", datetime(2027, 12, 3, 19, 30)),  # already past this year
        ("今天 21:00", datetime(2026, 12, 4, 21, 0)),
        ("明天 19:30", datetime(2026, 12, 5, 19, 30)),
        ("明天晚上7点半", datetime(2026, 12, 5, 19, 30)),
        ("后天 下午2点", datetime(2026, 12, 6, 14, 0)),
        ("周六 14:00", datetime(2026, 12, 5, 14, 0)),
        ("星期日 10:00", datetime(2026, 12, 6, 10, 0)),
        ("周五 21:00", datetime(2026, 12, 4, 21, 0)),  # today, still ahead
        ("周五 19:00", datetime(2026, 12, 11, 19, 0)),  # today's has passed: next week
        ("下周六 14:00", datetime(2026, 12, 12, 14, 0)),
        ("Sat 14:00", datetime(2026, 12, 5, 14, 0)),
        ("tomorrow 7pm", datetime(2026, 12, 5, 19, 0)),
    ],
)
def test_common_forms(text, expected):
    assert parse_when(text, FRIDAY_EVENING) == expected


@pytest.mark.parametrize(
    "text",
    ["", "soon", "2026-02-30 10:00", "明天 25:00", "明天 19", "12月32日 10:00", "周八 10:00"],
)
def test_unreadable_forms(text):
    assert parse_when(text, FRIDAY_EVENING) is None
    with pytest.raises(InputError) as error:
        parse_local_time(text, FRIDAY_EVENING)
    assert "明天 19:30" in error.value.message  # the error shows the forms that work


@given(moments, st.sampled_from(["%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y年%m月%d日 %H:%M"]))
def test_absolute_dates_round_trip_also_full_width(moment, form):
    text = moment.strftime(form)
    assert parse_when(text, FRIDAY_EVENING) == moment
    assert parse_when(text.translate(FULL_WIDTH), FRIDAY_EVENING) == moment


@given(moments, moments)
def test_a_month_and_day_is_the_next_such_day(now, moment):
    parsed = parse_when(f"{moment.month}月{moment.day}日 {moment:%H:%M}", now)
    if parsed is None:  # 2月29日 with no leap year this year or next
        assert (moment.month, moment.day) == (2, 29)
        return
    assert (parsed.month, parsed.day, parsed.time()) == (moment.month, moment.day, moment.time())
    assert now.date() <= parsed.date() < now.date() + timedelta(days=366 * 2)


@given(moments, st.integers(0, 6), st.integers(0, 23), st.integers(0, 59))
def test_a_weekday_is_the_next_such_day_in_the_future(now, weekday, hour, minute):
    parsed = parse_when(f"周{ZH_WEEKDAYS[weekday]} {hour}:{minute:02d}", now)
    assert parsed.weekday() == weekday and (parsed.hour, parsed.minute) == (hour, minute)
    assert now < parsed <= now + timedelta(days=7)


@given(st.text(max_size=40))
def test_any_text_is_read_or_refused_never_crashes(text):
    parsed = parse_when(text, FRIDAY_EVENING)
    assert parsed is None or isinstance(parsed, datetime)


def test_one_liner_with_a_chinese_input_method():
    one = parse_one_liner("读书会｜明天 19：30｜12｜书店二楼｜读书，哲学", now=FRIDAY_EVENING)
    assert (one.title, one.capacity, one.location) == ("读书会", 12, "书店二楼")
    assert one.local_start == datetime(2026, 12, 5, 19, 30) and one.tags == ("reading", "哲学")
    assert one.when == "明天 19：30"
