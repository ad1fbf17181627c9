"""Small helpers for tz-aware UTC timestamps held as int64 nanoseconds."""

from __future__ import annotations

import numpy as np
import pandas as pd

NS_PER_DAY = 86_400_000_000_000


def utc_from_ns(ns: np.ndarray) -> pd.DatetimeIndex:
    """Tz-aware UTC timestamps from int64 nanoseconds since the epoch."""
    return pd.DatetimeIndex(np.asarray(ns, dtype=np.int64).view("M8[ns]")).tz_localize("UTC")


def to_ns(values: pd.Series) -> np.ndarray:
    """Int64 nanoseconds since the epoch of a tz-aware series (NaT becomes int64 min)."""
    return values.dt.tz_convert(None).to_numpy().astype("M8[ns]").view(np.int64)
