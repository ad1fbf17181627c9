"""Recurrence rules as people type them, and the occurrences they make (pure functions).

"every Wednesday 19:30", "every 2nd Saturday 14:00", "every last Friday 20:00",
"每周三 19:30", "每月第二个周六 14:00", "每月最后一个周五 20:00". A rule is stored as
"w:<weekday>" (weekly) or "m:<n>:<weekday>" (the n-th weekday of each month, -1 the last),
with weekday 0 = Monday, and a local "HH:MM".
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS_EN = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
           "saturday": 5, "sunday": 6, "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4,
           "sat": 5, "sun": 6}  # fmt: skip
DAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
NTH_EN = {"1st": 1, "first": 1, "2nd": 2, "second": 2, "3rd": 3, "third": 3, "4th": 4,
          "fourth": 4, "last": -1}  # fmt: skip
NTH_ZH = {"一": 1, "1": 1, "二": 2, "2": 2, "三": 3, "3": 3, "四": 4, "4": 4, "最后一": -1}
_CLOCK = r"(\d{1,2})\s*[:：]\s*(\d{2})"
_EN = re.compile(rf"^every\s+(?:(\w+)\s+)?([a-z]+?)s?\s+{_CLOCK}$", re.IGNORECASE)
_ZH_WEEK = re.compile(rf"^每(?:周|星期|礼拜)([一二三四五六日天])\s*{_CLOCK}$")
_ZH_MONTH = re.compile(
    rf"^每月第?(最后一|[一二三四1-4])个?(?:周|星期|礼拜)([一二三四五六日天])\s*{_CLOCK}$"
)


class RuleError(ValueError):
    """Not a recurrence rule we understand."""


def _clock(hour: str, minute: str) -> str:
    h, m = int(hour), int(minute)
    if h > 23 or m > 59:
        raise RuleError(f"{hour}:{minute} is not a time of day")
    return f"{h:02d}:{m:02d}"


def parse_rule(text: str) -> tuple[str, str]:
    """(rule, "HH:MM") from a rule as typed; raises RuleError."""
    text = " ".join(text.strip().split())
    if match := _ZH_WEEK.match(text):
        return f"w:{DAYS_ZH[match.group(1)]}", _clock(match.group(2), match.group(3))
    if match := _ZH_MONTH.match(text):
        nth, day = NTH_ZH[match.group(1)], DAYS_ZH[match.group(2)]
        return f"m:{nth}:{day}", _clock(match.group(3), match.group(4))
    if (match := _EN.match(text)) and match.group(2).lower() in DAYS_EN:
        day = DAYS_EN[match.group(2).lower()]
        clock = _clock(match.group(3), match.group(4))
        if match.group(1) is None or match.group(1).lower() == "week":
            return f"w:{day}", clock
        if match.group(1).lower() in NTH_EN:
            return f"m:{NTH_EN[match.group(1).lower()]}:{day}", clock
    raise RuleError(text)


def _nth_weekday(year: int, month: int, nth: int, weekday: int) -> date | None:
    first = date(year, month, 1)
    if nth > 0:
        day = first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (nth - 1))
        return day if day.month == month else None
    following = date(year + month // 12, month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _days(rule: str, start: date, end: date) -> list[date]:
    parts = [int(p) for p in rule.split(":")[1:]]
    if rule.startswith("w:"):
        first = start + timedelta(days=(parts[0] - start.weekday()) % 7)
        return [first + timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]
    days, year, month = [], start.year, start.month
    while date(year, month, 1) <= end:
        day = _nth_weekday(year, month, parts[0], parts[1])
        if day is not None and start <= day <= end:
            days.append(day)
        year, month = year + month // 12, month % 12 + 1
    return days


def occurrences(
    rule: str, local_time: str, zone: str, after: datetime, until: datetime
) -> list[datetime]:
    """The starts (UTC) of the rule's occurrences with after < start <= until."""
    tz = ZoneInfo(zone)
    clock = time.fromisoformat(local_time)
    days = _days(rule, after.astimezone(tz).date(), until.astimezone(tz).date())
    starts = [datetime.combine(d, clock, tz).astimezone(UTC) for d in days]
    return [s for s in starts if after < s <= until]


def describe(rule: str, local_time: str, language: str) -> str:
    """The rule in words: "every 2nd Saturday 14:00" / "每月第二个周六 14:00"."""
    parts = [int(p) for p in rule.split(":")[1:]]
    if language == "zh":
        names = "一二三四五六日"
        if rule.startswith("w:"):
            return f"每周{names[parts[0]]} {local_time}"
        nth = "最后一" if parts[0] == -1 else "一二三四"[parts[0] - 1]
        return f"每月第{nth}个周{names[parts[1]]} {local_time}".replace("第最后一", "最后一")
    days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    if rule.startswith("w:"):
        return f"every {days[parts[0]]} {local_time}"
    nth = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th", -1: "last"}[parts[0]]
    return f"every {nth} {days[parts[1]]} {local_time}"
