"""Salons of a simulated community: schedule, invitations, and signups from a known model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recommender import frames
from recommender.timeutil import utc_from_ns
from recommender.topics import TOPIC_KEYS, TOPICS

if TYPE_CHECKING:
    from recommender.sim.community import Community

# Planted signup model: logit p = B0 + sum of these weights times the member's terms.
B0 = -5.2
W_MATCH = 6.0  # share of the member's interest on the salon's topics
W_ENGAGEMENT = 1.1  # latent engagement (partly visible through activity)
W_ATTENDED = 0.5  # min(past attendances, 3)
W_INVITED = 0.6  # an invitation was actually sent (not holdout)
W_PAID = -0.3
W_CHURNED = -2.0
NONE, YES, NO, WAITLIST, MAYBE = range(5)
STATUS_NAMES = ("", "yes", "no", "waitlist", "maybe")


@dataclass(frozen=True)
class Dynamics:
    """Demand that changes over time: `trend` is added to every member's logit in proportion to
    the salon's place in the period (0 at the first day, `trend` at the last); each topic's
    demand is a random walk with steps of sd `topic_drift` per salon. Seeded by `seed`."""

    trend: float = 0.0
    topic_drift: float = 0.0
    seed: int = 0

    def shifts(self, days: np.ndarray, n_days: int, topics: list[list[int]]) -> np.ndarray:
        """The logit shift of each salon."""
        n = len(topics)
        rng = np.random.default_rng([self.seed, 18])
        walk = np.cumsum(rng.normal(0.0, self.topic_drift, (n, len(TOPIC_KEYS))), axis=0)
        demand = np.array([walk[s, topics[s]].mean() for s in range(n)]) if n else np.zeros(0)
        return self.trend * days / max(n_days, 1) + demand


@dataclass
class SalonSim:
    """Frames produced by the salon part of the simulation."""

    events: pd.DataFrame
    signups: pd.DataFrame
    invitations: pd.DataFrame
    truth: pd.DataFrame


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _events(
    rng: np.random.Generator, start: pd.Timestamp, n_days: int, n_salons: int, community_id: int
) -> tuple[pd.DataFrame, list[list[int]]]:
    """Salon schedule and texts; returns the frame and each salon's topic indices."""
    first = max(14, int(0.25 * n_days))
    slots = np.linspace(first, n_days - 2, n_salons) if n_salons else np.array([])
    day = np.minimum(np.rint(slots + rng.uniform(-1, 1, n_salons)).astype(np.int64), n_days - 1)
    hour = np.where(rng.random(n_salons) < 0.7, 12, 6)
    starts = start + pd.to_timedelta(day * 24 + hour, unit="h")
    created = starts - pd.to_timedelta(rng.integers(5 * 24, 12 * 24, n_salons), unit="h")
    topics, rows = [], []
    for _ in range(n_salons):
        k = 1 if rng.random() < 0.7 else 2
        idx = sorted(rng.choice(len(TOPIC_KEYS), size=k, replace=False).tolist())
        topics.append(idx)
        info = [TOPICS[TOPIC_KEYS[i]] for i in idx]
        kw = rng.integers(0, 6)
        title = " / ".join(f"{t['name'][1]}沙龙：{t['zh'][kw]}" for t in info)
        title += " · " + " & ".join(f"{t['name'][0]} salon: {t['en'][kw]}" for t in info)
        picks = rng.choice(6, size=3, replace=False)
        desc = (
            ""
            if rng.random() < 0.15
            else (
                "一起聊聊"
                + "、".join(t["zh"][j] for t in info for j in picks)
                + ". We will discuss "
                + ", ".join(t["en"][j] for t in info for j in picks)
                + "."
            )
        )
        rows.append((title, desc, ";".join(TOPIC_KEYS[i] for i in idx)))
    events = pd.DataFrame(
        {
            "event_id": np.arange(1, n_salons + 1, dtype=np.int64),
            "community_id": np.full(n_salons, community_id, dtype=np.int64),
            "title": [r[0] for r in rows],
            "description": [r[1] for r in rows],
            "tags": [r[2] for r in rows],
            "starts_at": pd.DatetimeIndex(starts).as_unit("ns"),
            "capacity": np.nan,
            "price": rng.choice([0.0, 0.0, 49.0, 99.0, 199.0], n_salons),
            "created_at": pd.DatetimeIndex(created).as_unit("ns"),
        }
    )
    return events, topics


def simulate_salons(
    rng: np.random.Generator,
    members: pd.DataFrame,
    interests: np.ndarray,
    engagement: np.ndarray,
    win_end: np.ndarray,
    start: pd.Timestamp,
    n_days: int,
    n_salons: int,
    community_id: int,
    dynamics: Dynamics | None = None,
) -> SalonSim:
    """Run salons in time order; attendance feeds back into later signups."""
    events, topics = _events(rng, start, n_days, n_salons, community_id)
    days = ((events["starts_at"] - start) / pd.Timedelta(days=1)).to_numpy(dtype=float)
    shift = np.zeros(n_salons) if dynamics is None else dynamics.shifts(days, n_days, topics)
    user_ids = members["user_id"].to_numpy()
    joined = members["joined_at"].dt.tz_convert(None).to_numpy().astype(np.int64)
    joined[members["joined_at"].isna().to_numpy()] = np.iinfo(np.int64).min
    invitable = (members["reachable"] & ~members["invite_opt_out"]).to_numpy()
    attended_count = np.zeros(len(members))
    capacity = np.full(n_salons, np.nan)
    cutoffs = events["created_at"].dt.tz_convert(None).to_numpy().astype(np.int64)
    starts = events["starts_at"].dt.tz_convert(None).to_numpy().astype(np.int64)
    sig: dict[str, list[np.ndarray]] = {c: [] for c in frames.SIGNUPS}
    inv: dict[str, list[np.ndarray]] = {c: [] for c in frames.INVITATIONS}
    tru: dict[str, list[np.ndarray]] = {"event_id": [], "user_id": [], "probability": []}
    for s in range(n_salons):
        event_id, cutoff = events["event_id"].iat[s], cutoffs[s]
        idx = np.flatnonzero(joined < cutoff)
        holdout = rng.random(idx.size) < 0.1
        invited = invitable[idx]
        churned = win_end[idx] < (cutoff - start.value) // 86_400_000_000_000
        match = interests[:, topics[s]].sum(axis=1)[idx]
        logit = (
            B0
            + W_MATCH * match
            + W_ENGAGEMENT * engagement[idx]
            + W_ATTENDED * np.minimum(attended_count[idx], 3)
            + W_INVITED * (invited & ~holdout)
            + W_PAID * (events["price"].iat[s] > 0)
            + W_CHURNED * churned
            + rng.normal(0.0, 0.3)
            + shift[s]
        )
        p = _sigmoid(logit)
        _add(
            tru,
            event_id=np.full(idx.size, event_id),
            user_id=user_ids[idx],
            probability=p.astype(np.float32),
        )
        _add(
            inv,
            event_id=np.full(invited.sum(), event_id),
            user_id=user_ids[idx[invited]],
            sent_at=np.full(invited.sum(), cutoff + 3_600_000_000_000),
            holdout=holdout[invited],
        )
        signed = rng.random(idx.size) < p
        r = rng.random(idx.size)
        status = np.where(
            signed,
            YES,
            np.where(r < 0.12 * _sigmoid(engagement[idx]), NO, np.where(r > 0.985, MAYBE, NONE)),
        )
        delay = rng.beta(1.5, 3.0, idx.size) * (starts[s] - cutoff) // 1e9 * 1e9
        if rng.random() < 0.7:
            capacity[s] = max(10.0, float(np.round(p.sum() * rng.uniform(0.5, 1.3))))
            order = np.flatnonzero(signed)[np.argsort(delay[signed], kind="stable")]
            status[order[int(capacity[s]) :]] = WAITLIST
        keep = status != NONE
        yes = status == YES
        attend = np.where(yes, rng.random(idx.size) < _sigmoid(1.2 + 0.5 * engagement[idx]), 0.0)
        attend = np.where(yes | (status == WAITLIST), attend, np.nan)
        attend[yes & (rng.random(idx.size) < 0.05)] = np.nan
        rating = np.clip(np.rint(2.8 + 2.5 * match + rng.normal(0, 0.6, idx.size)), 1, 5)
        rating = np.where((attend == 1.0) & (rng.random(idx.size) < 0.6), rating, np.nan)
        attended_count[idx] += attend == 1.0
        _add(
            sig,
            event_id=np.full(keep.sum(), event_id),
            user_id=user_ids[idx][keep],
            status=status[keep],
            responded_at=cutoff + delay[keep].astype(np.int64),
            attended=attend[keep],
            rating=rating[keep],
        )
    events["capacity"] = capacity
    return SalonSim(events=events, signups=_frame(sig), invitations=_frame(inv), truth=_frame(tru))


def planted_response(
    community: Community, tags: list[str], now: pd.Timestamp, *, paid: bool = False
) -> pd.DataFrame:
    """The planted model's answer for a new salon on `tags` (topic keys), per member.

    Columns: user_id, match (interest share on the tags), p_invited / p_uninvited (signing up
    with or without an invitation), p_decline (saying no), p_attend (coming when going),
    rating_mean (the feedback rating before noise). The simulator's own salons use the same
    terms, so a demo that follows these probabilities behaves like the simulated history.
    """
    user_ids = community.members["user_id"].to_numpy()
    topics = [t for t in tags if t in community.interests.columns]
    match = community.interests.reindex(user_ids)[topics].sum(axis=1).to_numpy()
    eng = community.engagement.reindex(user_ids).to_numpy(dtype=float)
    signups = community.signups
    attended = signups[signups["attended"] == 1.0].groupby("user_id").size()
    attended = attended.reindex(user_ids, fill_value=0).to_numpy(dtype=float)
    # Members active until the simulation's last day have not churned (as in the simulation).
    churned = (community.active_until.reindex(user_ids) < min(now, community.end)).to_numpy()
    logit = (B0 + W_MATCH * match + W_ENGAGEMENT * eng + W_ATTENDED * np.minimum(attended, 3)
             + W_PAID * paid + W_CHURNED * churned)  # fmt: skip
    return pd.DataFrame({
        "user_id": user_ids,
        "match": match,
        "p_invited": _sigmoid(logit + W_INVITED),
        "p_uninvited": _sigmoid(logit),
        "p_decline": 0.12 * _sigmoid(eng),
        "p_attend": _sigmoid(1.2 + 0.5 * eng),
        "rating_mean": 2.8 + 2.5 * match,
    })  # fmt: skip


def _add(parts: dict[str, list[np.ndarray]], **arrays: np.ndarray) -> None:
    for key, value in arrays.items():
        parts[key].append(np.asarray(value))


def _frame(parts: dict[str, list[np.ndarray]]) -> pd.DataFrame:
    """Concatenate collected arrays; *_at columns are int64 ns turned into UTC timestamps."""
    out = {}
    for key, chunks in parts.items():
        values = np.concatenate(chunks) if chunks else np.zeros(0)
        if key.endswith("_at"):
            values = utc_from_ns(values.astype(np.int64))
        elif key in ("event_id", "user_id"):
            values = values.astype(np.int64)
        elif key == "status":
            values = np.array(STATUS_NAMES, dtype=object)[values]
        elif key == "holdout":
            values = values.astype(bool)
        out[key] = values
    return pd.DataFrame(out)
