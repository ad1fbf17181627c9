"""Reading what organizers type about a salon: each field checked, errors ready to translate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.common.i18n import N_
from bot.common.labels import canonical_tag
from bot.salons.dates import parse_when
from bot.seats.money import (
    FRACTION,
    STARS,
    TOO_HIGH,
    UNKNOWN_CURRENCY,
    UNREADABLE,
    PriceError,
    parse_price,
)

MAX_TITLE, MAX_DESCRIPTION, MAX_LOCATION, MAX_TAGS = 100, 1000, 200, 400
MAX_DURATION_MINUTES = 24 * 60
TIME_FORMAT = "%Y-%m-%d %H:%M"
_DURATION_RE = re.compile(r"^(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+)\s*(?:m|min)?)?$", re.IGNORECASE)
ONE_LINER_USAGE = N_(
    "One line: /newsalon <title> | <YYYY-MM-DD HH:MM> | <capacity> [| <location> "
    "[| <tags separated by ;> [| <price, e.g. 50 or 49.90 CNY>]]]\n"
    "Or send /newsalon alone and I will ask step by step."
)
PRICE_ERRORS = {
    UNREADABLE: N_("Please send the price as a number with an optional currency, for example "
                   "50 or 49.90 CNY; 0 means free."),
    UNKNOWN_CURRENCY: N_("I do not know that currency. Use a three-letter code such as CNY, USD "
                         "or EUR, or XTR for Telegram Stars."),
    FRACTION: N_("Too many decimals for that currency (Telegram Stars are whole numbers)."),
    TOO_HIGH: N_("That price is too high for a Telegram payment."),
}  # fmt: skip


class InputError(ValueError):
    """Bad input: `message` is an untranslated msgid, `params` fill its placeholders."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.message = message
        self.params = params

    def text(self, gettext) -> str:
        """The message in the user's language."""
        return gettext(self.message).format(**self.params)


def parse_title(text: str) -> str:
    """A non-empty title of at most 100 characters."""
    title = " ".join(text.split())
    if not title:
        raise InputError(N_("The title cannot be empty."))
    if len(title) > MAX_TITLE:
        raise InputError(
            N_("The title is too long ({length} characters); at most {limit}, please."),
            length=len(title),
            limit=MAX_TITLE,
        )
    return title


def parse_text(text: str, limit: int) -> str:
    """Free text (description, location) of at most `limit` characters."""
    value = text.strip()
    if len(value) > limit:
        raise InputError(
            N_("That is too long ({length} characters); at most {limit}, please."),
            length=len(value),
            limit=limit,
        )
    return value


def parse_tags(text: str) -> tuple[str, ...]:
    """Tags separated by ';' (full-width '；', commas and '、' work too); known topics by key."""
    parts = (t.strip().lstrip("#＃").strip() for t in re.split(r"[;；,，、]", text))
    tags = tuple(dict.fromkeys(canonical_tag(t) for t in parts if t))
    if len(";".join(tags)) > MAX_TAGS:
        raise InputError(N_("Too many tags: at most {limit} characters in all."), limit=MAX_TAGS)
    return tags


def local_now(timezone: str, now: datetime | None = None) -> datetime:
    """The wall-clock time in `timezone` (naive), now or at the aware moment `now`."""
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def parse_local_time(text: str, now: datetime | None = None) -> datetime:
    """A date and time as organizers type it (see bot.salons.dates) as a naive local time.

    `now` is the local wall-clock time that relative forms (明天, 周六, 12月5日) count from; the
    community's zone is applied later.
    """
    parsed = parse_when(text, now or datetime.now())
    if parsed is None:
        raise InputError(
            N_("Please send the date and time as YYYY-MM-DD HH:MM, for example {example} "
               "(12月5日 19:30, 明天 19:30, 周六 14:00 and 2026/12/05 19:30 work too)."),
            example="2026-12-03 19:30",
        )  # fmt: skip
    return parsed


def to_utc(local: datetime, timezone: str) -> datetime:
    """A naive local time in `timezone` as an aware UTC moment."""
    return local.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


def future_start(local: datetime, timezone: str, now: datetime) -> datetime:
    """The start in UTC; it must lie in the future."""
    starts_at = to_utc(local, timezone)
    if starts_at <= now:
        raise InputError(N_("That time is in the past. Please send a time in the future."))
    return starts_at


def check_deadline(deadline: datetime, starts_at: datetime, now: datetime) -> datetime:
    """A signup deadline must lie in the future and not after the start."""
    if deadline <= now:
        raise InputError(N_("That deadline is in the past. Please send a time in the future."))
    if deadline > starts_at:
        raise InputError(N_("The signup deadline must not be after the start of the salon."))
    return deadline


def parse_capacity(text: str) -> int:
    """A whole number of seats, at least 1."""
    value = text.strip()
    if not re.fullmatch(r"[+-]?\d{1,9}", value):
        raise InputError(N_("The capacity must be a whole number of seats, for example 20."))
    if int(value) <= 0:
        raise InputError(N_("The capacity must be at least 1."))
    return int(value)


def parse_duration(text: str) -> timedelta:
    """'90', '90m', '2h', '1.5h' or '1h30' -> a duration of 1 minute to 24 hours."""
    text = text.strip().replace("小时", "h").replace("分钟", "m").replace("分", "m")
    match = _DURATION_RE.match(text)
    minutes = None
    if match and (match.group(1) or match.group(2)):
        minutes = float(match.group(1) or 0) * 60 + int(match.group(2) or 0)
    if minutes is None or not 1 <= minutes <= MAX_DURATION_MINUTES:
        raise InputError(
            N_("Please send the duration in minutes or hours, for example 90 or 2h (at most 24h).")
        )
    return timedelta(minutes=round(minutes))


def parse_salon_price(text: str, default_currency: str, has_provider: bool) -> tuple[int, str]:
    """(amount in the smallest unit, currency) of a seat; (0, "") is free.

    Telegram Stars (XTR) need nothing more; other currencies need `[payments] provider_token`.
    """
    try:
        amount, currency = parse_price(text, default_currency)
    except PriceError as error:
        raise InputError(PRICE_ERRORS[error.reason]) from None
    if amount and currency != STARS and not has_provider:
        raise InputError(
            N_("To charge in {currency}, the operator must set [payments] provider_token in the "
               "config. Telegram Stars work without it: for example 50 XTR."),
            currency=currency,
        )  # fmt: skip
    return amount, currency


@dataclass(frozen=True)
class OneLiner:
    """The fields of `/newsalon <title> | <when> | <capacity> [| <location> [| <tags>]]`."""

    title: str
    local_start: datetime
    capacity: int
    location: str = ""
    tags: tuple[str, ...] = ()
    price: tuple[int, str] = (0, "")
    when: str = ""  # the time as typed, read again in the chosen community's zone


def parse_one_liner(
    text: str,
    *,
    default_currency: str = STARS,
    has_provider: bool = False,
    now: datetime | None = None,
) -> OneLiner:
    """Split and check the one-line form (`|` or full-width `｜`); problems raise `InputError`.

    `now` is the local wall-clock time relative dates count from.
    """
    parts = [p.strip() for p in re.split(r"[|｜]", text)]
    if not 3 <= len(parts) <= 6:
        raise InputError(N_("I could not read that: it needs 3 to 6 parts separated by |."))
    parts += [""] * (6 - len(parts))
    return OneLiner(
        title=parse_title(parts[0]),
        local_start=parse_local_time(parts[1], now),
        capacity=parse_capacity(parts[2]),
        location=parse_text(parts[3], MAX_LOCATION),
        tags=parse_tags(parts[4]),
        price=parse_salon_price(parts[5], default_currency, has_provider) if parts[5] else (0, ""),
        when=parts[1],
    )
