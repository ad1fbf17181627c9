"""Showing times and salons to people: their timezone, their language."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

BABEL_LOCALES = {"zh": "zh_Hans_CN", "en": "en_GB"}


def local_time(moment: datetime, timezone: str, language: str) -> str:
    """A UTC moment as a readable local date and time, e.g. '2026年12月3日 周四 19:30'."""
    local = moment.astimezone(ZoneInfo(timezone))
    pattern = "y年M月d日 EEE HH:mm" if language == "zh" else "EEE d MMM y, HH:mm"
    return format_datetime(local, pattern, locale=BABEL_LOCALES[language])
