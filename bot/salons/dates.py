"""Dates and times as organizers type them, in Chinese or English, read as a local time.

Accepted (full-width digits, `：` and `／` work too, as a Chinese input method types them):
`2026-12-05 19:30`, `2026/12/05 19:30`, `2026年12月5日 19:30`, `12月5日 19:30`,
`今天 / 明天 / 后天 19:30`, `today / tomorrow 19:30`, `周六 14:00` (also 星期六, 礼拜六,
下周六, `Sat 14:00`), and times as `19:30`, `19点30`, `19点半`, `晚上7点`, `下午 2:30`.
A month and day without a year is the next such day; a weekday is the next such day (today if
its time is still ahead). The caller applies the community's timezone.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta

_WEEKDAYS = {
    **{ch: i for i, ch in enumerate("一二三四五六日")},
    "天": 6,
    **{name: i for i, name in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))},
}
_RELATIVE = {"今天": 0, "今日": 0, "today": 0, "明天": 1, "明日": 1, "tomorrow": 1, "后天": 2}
_AFTERNOON = ("下午", "晚上", "傍晚", "pm")
_ISO_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?\s*(.+)$")
_MONTH_DAY_RE = re.compile(r"^(\d{1,2})月(\d{1,2})[日号]\s*(.+)$")
_WEEKDAY_RE = re.compile(
    r"^(下个?)?(?:周|星期|礼拜)([一二三四五六日天])\s*(.+)$"
    r"|^(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+(.+)$"
)
_RELATIVE_RE = re.compile(r"^(今天|今日|明天|明日|后天|today|tomorrow)\s*(.+)$")
_TIME_RE = re.compile(
    r"^(上午|早上|中午|下午|晚上|傍晚)?\s*(\d{1,2})(?:[:点时](\d{1,2}|半)?分?)?\s*(am|pm)?$"
)


def normalize(text: str) -> str:
    """Full-width forms as ASCII (NFKC), lower case, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def parse_time_of_day(text: str) -> time | None:
    """'19:30', '19点30', '7点半', '晚上7点', '7pm' as a time, or None."""
    match = _TIME_RE.match(normalize(text))
    if match is None:
        return None
    period, hour, minute, suffix = match.groups()
    if not period and not suffix and ":" not in text and "：" not in text and "点" not in text:
        return None  # a bare number is not a time
    hour = int(hour)
    minutes = 30 if minute == "半" else int(minute or 0)
    if ((period in _AFTERNOON or suffix == "pm") and hour < 12) or (period == "中午" and hour < 6):
        hour += 12
    if suffix == "am" and hour == 12:
        hour = 0
    if not (0 <= hour <= 23 and 0 <= minutes <= 59):
        return None
    return time(hour, minutes)


def _next_month_day(month: int, day: int, today: date) -> date | None:
    for year in (today.year, today.year + 1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    return None


def parse_when(text: str, now: datetime) -> datetime | None:
    """The naive local date and time `text` means, `now` being the local time; None if unread."""
    value = normalize(text)
    today = now.date()
    day: date | None = None
    rest = ""
    if match := _ISO_RE.match(value):
        year, month, day_of_month, rest = match.groups()
        try:
            day = date(int(year), int(month), int(day_of_month))
        except ValueError:
            return None
    elif match := _MONTH_DAY_RE.match(value):
        month, day_of_month, rest = match.groups()
        day = _next_month_day(int(month), int(day_of_month), today)
    elif match := _RELATIVE_RE.match(value):
        day, rest = today + timedelta(days=_RELATIVE[match.group(1)]), match.group(2)
    elif match := _WEEKDAY_RE.match(value):
        following, zh_day, zh_rest, en_day, en_rest = match.groups()
        weekday, rest = _WEEKDAYS[zh_day or en_day[:3]], zh_rest or en_rest
        ahead = (weekday - today.weekday()) % 7
        at = parse_time_of_day(rest)
        if following:  # 下周六: Saturday of next week
            ahead = 7 - today.weekday() + weekday
        elif ahead == 0 and at is not None and at <= now.time():
            ahead = 7
        day = today + timedelta(days=ahead)
    at = parse_time_of_day(rest) if day is not None else None
    return datetime.combine(day, at) if at is not None else None
