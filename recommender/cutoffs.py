"""The no-leakage rules: which rows are known at a cutoff."""

from __future__ import annotations

import pandas as pd

DAY = pd.Timedelta(days=1)


def as_cutoff(cutoff: pd.Timestamp | str) -> pd.Timestamp:
    """A tz-aware UTC cutoff; naive timestamps are refused rather than guessed."""
    ts = pd.Timestamp(cutoff)
    if ts.tzinfo is None:
        raise ValueError("cutoff must be timezone-aware")
    return ts.tz_convert("UTC")


def past_rollups(rollups: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Rollup days that ended at or before the cutoff (day + 1 day <= cutoff)."""
    return rollups[rollups["day"] + DAY <= cutoff]


def past_signups(events: pd.DataFrame, signups: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Responses to salons that started before the cutoff, given before it; adds starts_at, tags."""
    past = events.loc[events["starts_at"] < cutoff, ["event_id", "starts_at", "tags"]]
    out = signups.merge(past, on="event_id", how="inner")
    responded = out["responded_at"].fillna(out["starts_at"])
    return out[responded < cutoff]
