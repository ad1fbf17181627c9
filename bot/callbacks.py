"""Callback data: every button's data is built and read here, and nowhere else.

A client can send any string as callback data, so reading it is parsing untrusted input. The
one grammar is `<PREFIX>:<word>[:<word>][:<integer>]*` — a feature prefix, at most two
action words (letters) and signed 64-bit integers, 64 bytes at most — e.g. `S:m:12`,
`I:pv:12:20:0:3`, `P:del:yes`, `J:12` (no action). The handlers `app.py` registers match
`pattern(prefix, *actions)`; each handler then calls `parse` and treats None as stale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SALON = "S"  # an organizer's salon menu, the /newsalon dialogue and check-in
INVITE = "I"  # /invite previews (pv, go, no) and the buttons under an invitation (j, n, x)
JOIN = "J"
LEAVE = "L"
CLAIM = "C"
STATS = "T"
PRIVACY = "P"
ORGANIZE = "O"  # a salon's attendees (csv, msg, go, no), co-organizers (co, rm), series (ss)
PLAN = "PL"  # /plan: make plan <index> of comparison <nonce> a draft
EVENTS = "EV"  # /events: by date (d) or best fit first (r)
POINTS = "PT"  # /me: join (1) or leave (0) a community's leaderboard

MAX_BYTES = 64  # Telegram's limit on callback data
_MAX_INT = 2**63 - 1
_WORD = re.compile(r"^[A-Za-z]{1,8}$")
_INT = re.compile(r"^-?[0-9]{1,19}$")


@dataclass(frozen=True)
class Callback:
    """Parsed callback data: the action (words joined by ':', '' for none) and the integers."""

    prefix: str
    action: str
    numbers: tuple[int, ...]


def build(prefix: str, action: str = "", *numbers: int) -> str:
    """The callback data for a button; ValueError if it would not be valid or fit 64 bytes."""
    data = ":".join([prefix, *([action] if action else []), *(str(int(n)) for n in numbers)])
    if parse(data, prefix) != Callback(prefix, action, tuple(int(n) for n in numbers)):
        raise ValueError(f"not valid callback data: {data!r}")
    return data


def parse(data: str | None, prefix: str) -> Callback | None:
    """The parts of `data` if it is well-formed data of `prefix`, else None."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    head, *tokens = data.split(":")
    if head != prefix or not tokens:
        return None
    words: list[str] = []
    while tokens and _WORD.match(tokens[0]) and len(words) < 2:
        words.append(tokens.pop(0))
    if not all(_INT.match(t) for t in tokens):
        return None
    numbers = tuple(int(t) for t in tokens)
    if any(abs(n) > _MAX_INT for n in numbers):
        return None
    return Callback(prefix, ":".join(words), numbers)


def numbers_of(data: str | None, prefix: str, action: str, count: int) -> tuple[int, ...] | None:
    """Exactly `count` integers after `<prefix>:<action>`, or None."""
    parsed = parse(data, prefix)
    if parsed is None or parsed.action != action or len(parsed.numbers) != count:
        return None
    return parsed.numbers


def pattern(prefix: str, *actions: str) -> str:
    """The regex a CallbackQueryHandler matches: the prefix, and one of `actions` if given."""
    if not actions:
        return rf"^{re.escape(prefix)}:"
    choice = "|".join(re.escape(a) for a in actions)
    return rf"^{re.escape(prefix)}:(?:{choice})(?::|$)"


def exactly(data: str) -> str:
    """The regex matching this callback data and nothing else."""
    return rf"^{re.escape(data)}$"


def salon(action: str, *numbers: int) -> str:
    """`S:<action>[:<n>]*`: an organizer's salon buttons."""
    return build(SALON, action, *numbers)


def invite(action: str, *numbers: int) -> str:
    """`I:<action>:<salon>[:<n>]*`: /invite previews and invitation buttons."""
    return build(INVITE, action, *numbers)


def join(salon_id: int) -> str:
    """`J:<salon>`: Join (or pay for a held seat)."""
    return build(JOIN, "", salon_id)


def leave(salon_id: int) -> str:
    """`L:<salon>`: Leave, or "I can't come"."""
    return build(LEAVE, "", salon_id)


def claim(salon_id: int) -> str:
    """`C:<salon>`: claim a seat offered from the waitlist."""
    return build(CLAIM, "", salon_id)


def stats(action: str, *numbers: int) -> str:
    """`T:<action>:<community>[:<days>]`: /stats and /export community choice."""
    return build(STATS, action, *numbers)


def privacy(action: str, *numbers: int) -> str:
    """`P:<action>[:<n>]`: the member's /privacy buttons."""
    return build(PRIVACY, action, *numbers)


def salon_id_of(data: str | None, prefix: str) -> int | None:
    """The salon id of `J:`/`L:`/`C:` data (a positive id), or None."""
    parsed = parse(data, prefix)
    if parsed is None or parsed.action or len(parsed.numbers) != 1 or parsed.numbers[0] <= 0:
        return None
    return parsed.numbers[0]


def events(order: str) -> str:
    """`EV:d` (by date) or `EV:r` (best fit first): the order of /events."""
    return build(EVENTS, order)


def points(listed: bool, community_id: int) -> str:
    """`PT:<1|0>:<community>`: list the member on that community's leaderboard, or stop."""
    return build(POINTS, "", int(listed), community_id)


def organize(action: str, *numbers: int) -> str:
    """`O:<action>:<id>[:<n>]`: attendee list, message attendees, co-organizers, series."""
    return build(ORGANIZE, action, *numbers)


def plan(nonce: str, index: int) -> str:
    """`PL:<nonce as a number>:<index>`: turn plan `index` of one /plan comparison into a draft."""
    return build(PLAN, "", int(nonce, 16), index)


def plan_of(data: str | None) -> tuple[str, int] | None:
    """(nonce as 8 hex digits, plan index 0-5) from `PL:` data, or None."""
    parsed = parse(data, PLAN)
    if parsed is None or parsed.action or len(parsed.numbers) != 2:
        return None
    nonce, index = parsed.numbers
    if not 0 <= nonce < 16**8 or not 0 <= index <= 5:
        return None
    return f"{nonce:08x}", index
