"""Campaign selection: ranking, wave sizing, holdout assignment, uplift, send times, reasons.

Pure functions over DataFrames and arrays (no Telegram, no SQL), used by the invitation
campaigns in bot/campaigns/service.py.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
CANDIDATE_COLUMNS = ("user_id", "probability", "segment")
RECENT_DAYS = 45


def rank_candidates(
    candidates: pd.DataFrame,
    *,
    min_probability: float = 0.0,
    segments: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Candidates at or above `min_probability` (in `segments`, if given), most likely first."""
    frame = candidates[candidates["probability"] >= min_probability]
    if segments is not None:
        frame = frame[frame["segment"].isin(list(segments))]
    return frame.sort_values(["probability", "user_id"], ascending=[False, True],
                             ignore_index=True)  # fmt: skip


def wave_size(probabilities: Sequence[float], need: float) -> int:
    """The shortest prefix of `probabilities` whose sum reaches `need` (all when none does)."""
    if need <= 0:
        return 0
    reached = np.flatnonzero(np.cumsum(np.asarray(probabilities, dtype=float)) >= need - 1e-9)
    return int(reached[0]) + 1 if len(reached) else len(probabilities)


def holdout_keys(user_ids: Sequence[int], seed: int) -> np.ndarray:
    """A uniform number in [0, 1) per member, fixed by (seed, user id) alone."""
    keys = [
        int.from_bytes(hashlib.sha256(f"{seed}:{int(u)}".encode()).digest()[:8], "big") / 2**64
        for u in user_ids
    ]
    return np.asarray(keys, dtype=float)


def assign_holdout(
    user_ids: Sequence[int],
    share: float,
    seed: int,
    *,
    assigned_before: int = 0,
    holdout_before: int = 0,
) -> np.ndarray:
    """Which of these members are withheld: the lowest seeded keys, keeping the overall share.

    Over several waves the holdout stays `round(share * everyone assigned so far)`, so small
    waves do not round the control group away.
    """
    n = len(user_ids)
    total = assigned_before + n
    count = min(max(round(share * total) - holdout_before, 0), n)
    mask = np.zeros(n, dtype=bool)
    if count:
        order = np.argsort(holdout_keys(user_ids, seed), kind="stable")
        mask[order[:count]] = True
    return mask


def plan_wave(
    ranked: pd.DataFrame,
    *,
    need: float,
    share: float,
    seed: int,
    limit: int | None = None,
    assigned_before: int = 0,
    holdout_before: int = 0,
) -> pd.DataFrame:
    """The next wave from ranked candidates: enough invited members that their expected
    signups reach `need`, plus the holdout drawn from the same ranks (column `holdout`).

    `limit` caps the invited members of this wave (None: no cap).
    """
    keep = 1.0 - share if share < 1 else 1.0
    size = wave_size(ranked["probability"].to_numpy(), need / keep)
    wave = ranked.iloc[:size].copy()
    wave["holdout"] = assign_holdout(wave["user_id"].to_numpy(), share, seed,
                                     assigned_before=assigned_before,
                                     holdout_before=holdout_before)  # fmt: skip
    if limit is not None:
        invited_rank = (~wave["holdout"]).cumsum()
        wave = wave[wave["holdout"] | (invited_rank <= limit)]
        # Holdout members ranked below the last invited member would not have been invited.
        last = wave.index[~wave["holdout"]].max() if (~wave["holdout"]).any() else -1
        wave = wave[wave.index <= last]
    return wave.reset_index(drop=True)


@dataclass(frozen=True)
class Uplift:
    """Signup rates of invited and holdout members and their difference with a 95 % CI."""

    invited: int
    invited_signups: int
    holdout: int
    holdout_signups: int
    rate_invited: float | None
    rate_holdout: float | None
    uplift: float | None
    low: float | None
    high: float | None
    method: str = "newcombe-wilson-95"

    def to_dict(self) -> dict:
        """Plain values, for JSON."""
        return asdict(self)


def wilson_interval(successes: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def uplift_interval(
    invited_signups: int, invited: int, holdout_signups: int, holdout: int, z: float = Z95
) -> Uplift:
    """Uplift = rate(invited) - rate(holdout), Newcombe's hybrid score interval (method 10)."""
    if invited == 0 or holdout == 0:
        rate1 = invited_signups / invited if invited else None
        rate0 = holdout_signups / holdout if holdout else None
        return Uplift(invited, invited_signups, holdout, holdout_signups, rate1, rate0,
                      None, None, None)  # fmt: skip
    p1, p0 = invited_signups / invited, holdout_signups / holdout
    l1, u1 = wilson_interval(invited_signups, invited, z)
    l0, u0 = wilson_interval(holdout_signups, holdout, z)
    diff = p1 - p0
    low = diff - math.sqrt((p1 - l1) ** 2 + (u0 - p0) ** 2)
    high = diff + math.sqrt((u1 - p1) ** 2 + (p0 - l0) ** 2)
    return Uplift(invited, invited_signups, holdout, holdout_signups, p1, p0, diff,
                  max(-1.0, low), min(1.0, high))  # fmt: skip


def most_active_hour(hour_counts: Sequence[float]) -> int | None:
    """The hour (0-23) with the most messages, or None when there are none."""
    counts = np.asarray(hour_counts, dtype=float)
    if counts.size != 24 or counts.sum() <= 0:
        return None
    return int(np.argmax(counts))


def is_quiet(clock: time, start: time, end: time) -> bool:
    """Whether a local wall-clock time falls in the quiet hours [start, end)."""
    if start == end:
        return False
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def _quiet_end(moment: datetime, end: time, zone: ZoneInfo) -> datetime:
    local = moment.astimezone(zone)
    candidate = datetime.combine(local.date(), end, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), end, tzinfo=zone)
    return candidate.astimezone(moment.tzinfo)


def send_time(
    now: datetime,
    *,
    active_hour: int | None,
    zone: ZoneInfo,
    quiet_start: time,
    quiet_end: time,
    latest: datetime,
) -> datetime:
    """When to send: the member's most active (UTC) hour before `latest`, never in quiet hours.

    Without a usable active hour the message goes as soon as the quiet hours allow.
    """

    def quiet(moment: datetime) -> bool:
        return is_quiet(moment.astimezone(zone).time(), quiet_start, quiet_end)

    if active_hour is not None:
        moment = now
        while moment <= latest:
            if moment.hour == active_hour and not quiet(moment):
                return moment
            moment = (moment + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    if not quiet(now):
        return now
    return _quiet_end(now, quiet_end, zone)


@dataclass(frozen=True)
class PastSalon:
    """A past salon a member attended (or was going to)."""

    title: str
    tags: frozenset[str]
    starts_at: datetime


def why_invited(
    salon_tags: Iterable[str],
    attended: Sequence[PastSalon],
    talked: dict[str, int],
    now: datetime,
) -> tuple[str, str]:
    """(kind, detail) of the one honest line on why a member is invited.

    `talked` counts the member's own group messages mentioning each of the salon's tags.
    Kinds: 'talks' (a tag they often mention), 'tags' (tags of salons they came to),
    'recent' (a salon they came to lately), 'fallback' (nothing specific is known).
    """
    tags = {t.strip().lower() for t in salon_tags if t.strip()}
    mentioned = sorted(((n, t) for t, n in talked.items() if t in tags and n >= 2), reverse=True)
    if mentioned:
        return "talks", mentioned[0][1]
    shared: dict[str, int] = {}
    for past in attended:
        for tag in past.tags & tags:
            shared[tag] = shared.get(tag, 0) + 1
    if shared:
        best = sorted(shared.items(), key=lambda item: (-item[1], item[0]))[:2]
        return "tags", ";".join(tag for tag, _count in best)
    recent = [p for p in attended if now - timedelta(days=RECENT_DAYS) <= p.starts_at < now]
    if recent:
        return "recent", max(recent, key=lambda p: p.starts_at).title
    return "fallback", ""


Z80 = 0.8416212335729143  # one-sided quantile for 80 % power
HOLDOUT_SHARES = (0.05, 0.1, 0.2, 0.3)


def detectable_uplift(invited: int, holdout: int, base_rate: float) -> float | None:
    """The smallest uplift (difference of signup rates) a campaign with these group sizes
    detects with 80 % power at the 5 % level (two-sided), around `base_rate`; None without a
    holdout."""
    if invited <= 0 or holdout <= 0:
        return None
    p = min(max(base_rate, 1e-3), 0.999)
    return (Z95 + Z80) * math.sqrt(p * (1 - p) * (1 / invited + 1 / holdout))


def holdout_options(
    audience: int, base_rate: float, shares: Sequence[float] = HOLDOUT_SHARES
) -> list[tuple[float, int, float | None]]:
    """(share, members withheld, detectable uplift) for each holdout share of an audience."""
    out = []
    for share in shares:
        withheld = round(share * audience)
        out.append((share, withheld, detectable_uplift(audience - withheld, withheld, base_rate)))
    return out


def pooled_uplift(groups: Iterable[tuple[int, int, int, int]]) -> Uplift:
    """Uplift over several campaigns of a community: each campaign's (invited signups, invited,
    holdout signups, holdout) difference, weighted by the inverse of its variance (so campaigns
    with different base rates are not mixed); a 95 % normal interval. The counts are totals."""
    groups = list(groups)
    rows = [g for g in groups if g[1] > 0 and g[3] > 0]
    totals = [sum(g[i] for g in groups) for i in range(4)]
    if not rows:
        return Uplift(totals[1], totals[0], totals[3], totals[2], None, None, None, None, None,
                      method="pooled-inverse-variance-95")  # fmt: skip
    weights, diffs = [], []
    for s1, n1, s0, n0 in rows:
        p1, p0 = (s1 + 0.5) / (n1 + 1), (s0 + 0.5) / (n0 + 1)  # +0.5: no zero variance
        weights.append(1.0 / (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0))
        diffs.append(s1 / n1 - s0 / n0)
    w = np.asarray(weights)
    diff = float((w * np.asarray(diffs)).sum() / w.sum())
    half = Z95 / math.sqrt(w.sum())
    rate1, rate0 = totals[0] / max(totals[1], 1), totals[2] / max(totals[3], 1)
    return Uplift(totals[1], totals[0], totals[3], totals[2], rate1, rate0, diff,
                  max(-1.0, diff - half), min(1.0, diff + half),
                  method="pooled-inverse-variance-95")  # fmt: skip


def calibration_ratio(predicted: float, actual: float, strength: float = 10.0) -> float:
    """How many signups invited members brought per predicted one in past campaigns, shrunk
    towards 1 by `strength` pseudo-signups (1 without history); bounded to [0.25, 4]."""
    ratio = (actual + strength) / (max(predicted, 0.0) + strength)
    return float(min(max(ratio, 0.25), 4.0))


def invitations_per_signup(invited: int, signups: int) -> float | None:
    """Invitations sent per signup they brought (None before any signup)."""
    return invited / signups if signups > 0 else None
