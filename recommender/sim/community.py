"""Seeded synthetic community: members, daily rollups, texts, salons, signups (ground truth)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from recommender import frames
from recommender.sim.history_csv import write_history_csv
from recommender.sim.salons import Dynamics, simulate_salons
from recommender.timeutil import utc_from_ns
from recommender.topics import (
    EN_SMALLTALK,
    EN_TEMPLATES,
    TOPIC_KEYS,
    TOPICS,
    ZH_SMALLTALK,
    ZH_TEMPLATES,
)

__all__ = ["MEMBER_TYPES", "Community", "Dynamics", "simulate_community", "write_history_csv"]

# type: (share, engagement mean, messages/day, reactions/day)
MEMBER_TYPES: dict[str, tuple[float, float, float, float]] = {
    "core": (0.06, 1.6, 0.33, 0.3),
    "talker": (0.14, 0.3, 0.23, 0.04),
    "reactor": (0.20, 0.0, 0.02, 0.15),
    "lurker": (0.40, -0.8, 0.003, 0.01),
    "newcomer": (0.10, 0.3, 0.13, 0.1),
    "dormant": (0.10, -1.0, 0.13, 0.08),
}
DEFAULT_START = pd.Timestamp("2024-01-01", tz="UTC")


@dataclass
class Community:
    """Every frame of a simulated community plus its planted ground truth."""

    members: pd.DataFrame
    rollups: pd.DataFrame
    events: pd.DataFrame
    signups: pd.DataFrame
    invitations: pd.DataFrame
    texts: pd.DataFrame
    member_types: pd.Series
    truth: pd.DataFrame
    interests: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    # Latent engagement and the end of each member's active window (index user_id): what the
    # planted signup model uses beyond interests (see salon_sim.planted_response).
    engagement: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    active_until: pd.Series = field(default_factory=lambda: pd.Series(dtype="datetime64[ns, UTC]"))


def simulate_community(
    n_members: int = 300,
    weeks: int = 8,
    n_salons: int = 6,
    seed: int = 0,
    community_id: int = -1001,
    start: pd.Timestamp | None = None,
    with_texts: bool = True,
    dynamics: Dynamics | None = None,
) -> Community:
    """Simulate one community deterministically from `seed`.

    With `dynamics`, signups follow a trend and topic demand drifts from salon to salon
    (drawn from their own seeded stream, so the rest of the community stays the same).
    """
    rng = np.random.default_rng(seed)
    start = DEFAULT_START if start is None else pd.Timestamp(start).tz_convert("UTC").floor("D")
    n_days = weeks * 7
    names = list(MEMBER_TYPES)
    shares = np.array([MEMBER_TYPES[t][0] for t in names])
    type_idx = rng.choice(len(names), size=n_members, p=shares / shares.sum())
    eng_mean, msg_rate, react_rate = (
        np.array([MEMBER_TYPES[t][i] for t in names])[type_idx] for i in (1, 2, 3)
    )
    deviation = rng.normal(0.0, 0.7, n_members)
    engagement = eng_mean + deviation
    user_ids = 100_000_000 + np.arange(n_members, dtype=np.int64) * 7
    user_ids += rng.integers(0, 7, n_members)
    win_start = np.zeros(n_members, dtype=np.int64)
    win_end = np.full(n_members, n_days, dtype=np.int64)
    is_new = type_idx == names.index("newcomer")
    is_dormant = type_idx == names.index("dormant")
    win_start[is_new] = rng.integers(
        int(0.6 * n_days), max(int(0.6 * n_days) + 1, n_days - 7), is_new.sum()
    )
    win_end[is_dormant] = rng.integers(int(0.15 * n_days), int(0.35 * n_days) + 1, is_dormant.sum())
    joined = start - pd.to_timedelta(rng.integers(30, 700, n_members), unit="D")
    joined = joined.where(~is_new, start + pd.to_timedelta(win_start, unit="D"))
    joined = joined.where(is_new | (rng.random(n_members) > 0.05), pd.NaT)
    members = pd.DataFrame(
        {
            "community_id": np.full(n_members, community_id, dtype=np.int64),
            "user_id": user_ids,
            "joined_at": pd.DatetimeIndex(joined).as_unit("ns"),
            "reachable": rng.random(n_members) < 0.55 + 0.15 * np.tanh(engagement),
            "invite_opt_out": rng.random(n_members) < 0.03,
        }
    )
    interests = rng.dirichlet(np.full(len(TOPIC_KEYS), 0.3), n_members)
    speed = np.exp(0.8 * deviation + rng.normal(0.0, 0.2, n_members))
    peak = np.where(
        rng.random(n_members) < 0.7, rng.integers(11, 16, n_members), rng.integers(0, 24, n_members)
    )
    span = (win_end - win_start).astype(float)
    msg = _draw_times(rng, msg_rate * speed, win_start, span)
    hours = (peak[msg[0]] + np.rint(rng.normal(0, 2.0, msg[0].size)).astype(np.int64)) % 24
    rea = _draw_times(rng, react_rate * speed, win_start, span)
    rollups = _rollups(rng, msg, hours, rea, user_ids, engagement, community_id, start, n_days)
    texts = frames.empty_frame(frames.TEXTS)
    if with_texts:
        texts = _texts(rng, msg, hours, interests, user_ids, community_id, start)
    salons = simulate_salons(
        rng,
        members,
        interests,
        engagement,
        win_end,
        start,
        n_days,
        n_salons,
        community_id,
        dynamics=dynamics,
    )
    return Community(
        members=members,
        rollups=rollups,
        events=salons.events,
        signups=salons.signups,
        invitations=salons.invitations,
        texts=texts,
        member_types=pd.Series(np.array(names)[type_idx], index=pd.Index(user_ids, name="user_id"),
                               name="member_type"),
        truth=salons.truth,
        interests=pd.DataFrame(interests, index=pd.Index(user_ids, name="user_id"),
                               columns=list(TOPIC_KEYS)),
        start=start,
        end=start + pd.Timedelta(days=n_days),
        engagement=pd.Series(engagement, index=pd.Index(user_ids, name="user_id"),
                             name="engagement"),
        active_until=pd.Series(start + pd.to_timedelta(win_end, unit="D"),
                               index=pd.Index(user_ids, name="user_id"), name="active_until"),
    )  # fmt: skip


def _draw_times(
    rng: np.random.Generator, rate: np.ndarray, win_start: np.ndarray, span: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts per member over its active window, then a uniform day per occurrence."""
    counts = rng.poisson(rate * span)
    member = np.repeat(np.arange(rate.size), counts)
    day = win_start[member] + (rng.random(member.size) * span[member]).astype(np.int64)
    return member, day


def _runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values of a sorted array and how often each occurs."""
    if sorted_keys.size == 0:
        return sorted_keys, np.zeros(0, dtype=np.int64)
    first = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    return sorted_keys[first], np.diff(np.r_[first, sorted_keys.size])


def _rollups(
    rng: np.random.Generator,
    msg: tuple[np.ndarray, np.ndarray],
    hours: np.ndarray,
    rea: tuple[np.ndarray, np.ndarray],
    user_ids: np.ndarray,
    engagement: np.ndarray,
    community_id: int,
    start: pd.Timestamp,
    n_days: int,
) -> pd.DataFrame:
    """Aggregate per-occurrence draws into one row per member and active day (sort, no hash)."""
    hour_keys, hour_counts = _runs(np.sort((msg[0] * n_days + msg[1]) * 24 + hours))
    msg_cells, _ = _runs(hour_keys // 24)
    rea_cells, rea_counts = _runs(np.sort(rea[0] * n_days + rea[1]))
    cells, _ = _runs(np.sort(np.concatenate([msg_cells, rea_cells]), kind="stable"))
    n = cells.size
    member = cells // n_days
    per_hour = np.zeros((n, 24), dtype=np.int16)
    per_hour[np.searchsorted(cells, hour_keys // 24), hour_keys % 24] = hour_counts
    messages = per_hour.sum(axis=1, dtype=np.int64)
    reactions = np.zeros(n, dtype=np.int64)
    reactions[np.searchsorted(cells, rea_cells)] = rea_counts
    p_reply = 1.0 / (1.0 + np.exp(-(engagement - 1.0)))
    chars = rng.gamma(np.maximum(messages, 1) * 1.5, 27.0 / 1.5) * (messages > 0)
    out = {
        "community_id": np.full(n, community_id, dtype=np.int64),
        "user_id": user_ids[member],
        "day": utc_from_ns(start.value + (cells % n_days) * 86_400_000_000_000),
        "messages": messages.astype(np.int32),
        "chars": chars.round().astype(np.int32),
        "replies_sent": rng.binomial(messages, 0.3).astype(np.int32),
        "replies_received": rng.binomial(messages, p_reply[member] * 0.5).astype(np.int32),
        "reactions_given": reactions.astype(np.int32),
        "reactions_received": rng.poisson(messages * (0.3 + p_reply[member])).astype(np.int32),
    }
    hours_frame = pd.DataFrame(per_hour, columns=list(frames.HOURS), copy=False)
    return pd.concat([pd.DataFrame(out), hours_frame], axis=1)


def _texts(
    rng: np.random.Generator,
    msg: tuple[np.ndarray, np.ndarray],
    hours: np.ndarray,
    interests: np.ndarray,
    user_ids: np.ndarray,
    community_id: int,
    start: pd.Timestamp,
) -> pd.DataFrame:
    """One text per message, in the member's language, usually about one of its topics."""
    member, day = msg
    n = member.size
    zh_member = rng.random(user_ids.size) < 0.6
    cum = interests.cumsum(axis=1)[member]
    topic = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), len(TOPIC_KEYS) - 1)
    on_topic = rng.random(n) < 0.85
    kw, tpl, small = rng.integers(0, 6, n), rng.integers(0, 5, n), rng.integers(0, 5, n)
    texts = []
    sep = {True: "和", False: " and "}
    for i in range(n):
        zh = zh_member[member[i]]
        if on_topic[i]:
            words = TOPICS[TOPIC_KEYS[topic[i]]]["zh" if zh else "en"]
            template = (ZH_TEMPLATES if zh else EN_TEMPLATES)[tpl[i]]
            texts.append(template.format(k=words[kw[i]] + sep[zh] + words[(kw[i] + 1) % 6]))
        else:
            texts.append((ZH_SMALLTALK if zh else EN_SMALLTALK)[small[i]])
    seconds = rng.integers(0, 3600, n)
    sent = start + pd.to_timedelta(day * 86400 + hours * 3600 + seconds, unit="s")
    out = pd.DataFrame(
        {
            "community_id": np.full(n, community_id, dtype=np.int64),
            "user_id": user_ids[member],
            "sent_at": sent,
            "text": texts,
        }
    )
    return out.sort_values(["sent_at", "user_id"], kind="stable").reset_index(drop=True)
