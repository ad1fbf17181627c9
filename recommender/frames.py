"""Column contracts of the frames the recommender takes (produced by storage or the simulator)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

HOURS: tuple[str, ...] = tuple(f"h{h:02d}" for h in range(24))
ROLLUP_COUNTS: tuple[str, ...] = (
    "messages",
    "chars",
    "replies_sent",
    "replies_received",
    "reactions_given",
    "reactions_received",
)

MEMBERS: tuple[str, ...] = ("community_id", "user_id", "joined_at", "reachable", "invite_opt_out")
ROLLUPS: tuple[str, ...] = ("community_id", "user_id", "day", *ROLLUP_COUNTS, *HOURS)
EVENTS: tuple[str, ...] = (
    "event_id",
    "community_id",
    "title",
    "description",
    "tags",
    "starts_at",
    "capacity",
    "price",
    "created_at",
)
SIGNUPS: tuple[str, ...] = ("event_id", "user_id", "status", "responded_at", "attended", "rating")
INVITATIONS: tuple[str, ...] = ("event_id", "user_id", "sent_at", "holdout")
TEXTS: tuple[str, ...] = ("community_id", "user_id", "sent_at", "text")

# Activity aggregates at a cutoff day (recommender/activity.py says what each one means).
ACTIVITY_WINDOWS: tuple[int, ...] = (7, 30, 90)
AGGREGATE_SUMS: tuple[str, ...] = (
    *(f"{c}_{w}d" for w in ACTIVITY_WINDOWS for c in (*ROLLUP_COUNTS, "active_days")),
    *HOURS,
)
AGGREGATE_VALUES: tuple[str, ...] = ("first_day", "last_day", *AGGREGATE_SUMS)
AGGREGATES: tuple[str, ...] = ("community_id", "user_id", "as_of", *AGGREGATE_VALUES)
# Participation aggregates at a cutoff (recommender/participation.py).
PARTICIPATION_AGGREGATE_VALUES: tuple[str, ...] = (
    "joined",
    "attended",
    "no_shows",
    "declines",
    "last_attended",
    "rating_sum",
    "rating_count",
    "invited",
    "tag_total",
    "tag_hits",
)
PARTICIPATION_AGGREGATES: tuple[str, ...] = (
    "community_id",
    "user_id",
    "cutoff",
    "tags",
    *PARTICIPATION_AGGREGATE_VALUES,
)

SIGNUP_STATUSES: tuple[str, ...] = ("yes", "no", "waitlist", "maybe")
POSITIVE_STATUSES: tuple[str, ...] = ("yes", "waitlist")
DEFAULT_CUTOFF_LEAD = pd.Timedelta(days=7)

_UTC = "datetime64[ns, UTC]"
_DTYPES: dict[str, str] = {
    "community_id": "int64",
    "user_id": "int64",
    "event_id": "int64",
    "joined_at": _UTC,
    "reachable": "bool",
    "invite_opt_out": "bool",
    "day": _UTC,
    "title": "object",
    "description": "object",
    "tags": "object",
    "starts_at": _UTC,
    "capacity": "float64",
    "price": "float64",
    "created_at": _UTC,
    "status": "object",
    "responded_at": _UTC,
    "attended": "float64",
    "rating": "float64",
    "sent_at": _UTC,
    "holdout": "bool",
    "text": "object",
    "as_of": _UTC,
    "cutoff": _UTC,
    "last_attended": _UTC,
    "first_day": _UTC,
    "last_day": _UTC,
}


def check_frame(df: pd.DataFrame, columns: Sequence[str], name: str) -> pd.DataFrame:
    """Raise ValueError naming the first column of `columns` missing from `df`; return `df`."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"{name} frame is missing column {missing[0]!r}")
    return df


def empty_frame(columns: Sequence[str]) -> pd.DataFrame:
    """An empty frame with the declared columns and their dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=_DTYPES.get(c, "int64")) for c in columns})


def event_cutoffs(events: pd.DataFrame) -> pd.Series:
    """Feature cutoff per salon: created_at, or starts_at - 7 days when created_at is NaT."""
    cutoff = events["created_at"].fillna(events["starts_at"] - DEFAULT_CUTOFF_LEAD)
    return pd.Series(cutoff.to_numpy(), index=events["event_id"].to_numpy(), name="cutoff")


def split_tags(tags: object) -> set[str]:
    """The set of lower-cased, stripped tags in a ';'-separated string ('' or NaN gives none)."""
    if not isinstance(tags, str):
        return set()
    return {t.strip().lower() for t in tags.split(";") if t.strip()}
