"""Campaign selection: ranking, waves, holdout, uplift interval, send times, why-lines."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from recommender.selection import (
    PastSalon,
    assign_holdout,
    is_quiet,
    most_active_hour,
    plan_wave,
    rank_candidates,
    send_time,
    uplift_interval,
    wave_size,
    why_invited,
    wilson_interval,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
QUIET = {"quiet_start": time(22), "quiet_end": time(8)}


def _candidates(n: int, p: float = 0.2) -> pd.DataFrame:
    segments = ["core" if u % 2 else "lurkers" for u in range(1, n + 1)]
    return pd.DataFrame({"user_id": np.arange(1, n + 1), "probability": p, "segment": segments})


def test_rank_filters_and_orders_by_probability_then_user():
    frame = pd.DataFrame({"user_id": [5, 3, 9, 1], "probability": [0.3, 0.3, 0.05, 0.6],
                          "segment": ["core", "lurkers", "core", "core"]})  # fmt: skip
    assert rank_candidates(frame)["user_id"].tolist() == [1, 3, 5, 9]
    assert rank_candidates(frame, min_probability=0.1)["user_id"].tolist() == [1, 3, 5]
    assert rank_candidates(frame, segments=["core"])["user_id"].tolist() == [1, 5, 9]


def test_wave_size_is_the_shortest_prefix_reaching_the_need():
    assert wave_size([0.5, 0.3, 0.2, 0.1], 0.8) == 2
    assert wave_size([0.5, 0.3, 0.2, 0.1], 0.81) == 3
    assert wave_size([0.5, 0.3], 5.0) == 2  # not enough: everyone
    assert wave_size([0.5, 0.3], 0) == 0 and wave_size([], 1.0) == 0


def test_holdout_is_reproducible_with_the_seed_and_keeps_the_share():
    users = np.arange(1000, 1200)
    first = assign_holdout(users, 0.1, seed=7)
    assert first.sum() == 20
    assert (assign_holdout(users, 0.1, seed=7) == first).all()
    assert (assign_holdout(users[::-1], 0.1, seed=7)[::-1] == first).all()  # order-free
    assert not (assign_holdout(users, 0.1, seed=8) == first).all()
    # Small later waves keep the overall share instead of rounding it away.
    wave2 = assign_holdout(np.arange(5000, 5004), 0.1, seed=7, assigned_before=200,
                           holdout_before=20)  # fmt: skip
    wave3 = assign_holdout(np.arange(6000, 6006), 0.1, seed=7, assigned_before=204,
                           holdout_before=20 + int(wave2.sum()))  # fmt: skip
    assert int(wave2.sum() + wave3.sum()) == 1  # round(0.1 * 210) - 20
    assert assign_holdout(users, 0.0, seed=7).sum() == 0


def test_plan_wave_invites_enough_for_the_need_and_withholds_from_the_same_ranks():
    ranked = rank_candidates(_candidates(100, 0.2))
    wave = plan_wave(ranked, need=4.0, share=0.1, seed=3)
    invited = wave[~wave["holdout"]]
    assert invited["probability"].sum() >= 4.0 - 1e-9
    assert len(wave) == 23 and wave["holdout"].sum() == 2  # 4 / 0.9 / 0.2 -> 23 chosen
    assert wave["user_id"].tolist() == ranked["user_id"].iloc[:23].tolist()
    limited = plan_wave(ranked, need=4.0, share=0.1, seed=3, limit=5)
    assert (~limited["holdout"]).sum() == 5
    last_invited = limited.index[~limited["holdout"]].max()
    assert limited.index.max() == last_invited  # no holdout ranked below the last invited
    assert plan_wave(ranked, need=0, share=0.1, seed=3).empty


def test_uplift_interval_newcombe_matches_the_published_example():
    # Newcombe (1998), example (a): 56/70 vs 48/80 -> 0.2000, 95 % CI 0.0524 to 0.3339.
    result = uplift_interval(56, 70, 48, 80)
    assert result.uplift == pytest.approx(0.2)
    assert result.low == pytest.approx(0.0524, abs=1e-4)
    assert result.high == pytest.approx(0.3339, abs=1e-4)
    low, high = wilson_interval(0, 10)
    assert low == 0 and high == pytest.approx(0.2775, abs=1e-4)
    empty = uplift_interval(3, 10, 0, 0)
    assert empty.uplift is None and empty.rate_invited == 0.3 and empty.to_dict()["holdout"] == 0


def test_quiet_hours_wrap_midnight_and_equal_bounds_mean_none():
    assert is_quiet(time(23), time(22), time(8)) and is_quiet(time(7, 59), time(22), time(8))
    assert not is_quiet(time(8), time(22), time(8)) and not is_quiet(time(12), time(22), time(8))
    assert is_quiet(time(13), time(12), time(14)) and not is_quiet(time(3), time(0), time(0))


def test_send_time_prefers_the_active_hour_and_never_lands_in_quiet_hours():
    now = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
    latest = now + timedelta(hours=12)
    at = send_time(now, active_hour=4, zone=SHANGHAI, latest=latest, **QUIET)
    assert at == datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 12:00 local
    assert send_time(now, active_hour=1, zone=SHANGHAI, latest=latest, **QUIET) == now
    # Active at 23:00 local (15 UTC): quiet, so no later slot fits -> as soon as allowed (now).
    assert send_time(now, active_hour=15, zone=SHANGHAI, latest=latest, **QUIET) == now
    night = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 23:00 local
    at = send_time(night, active_hour=None, zone=SHANGHAI, latest=night + timedelta(hours=12),
                   **QUIET)  # fmt: skip
    assert at == datetime(2026, 3, 3, 0, 0, tzinfo=UTC)  # 08:00 local next morning
    assert most_active_hour([0] * 24) is None
    assert most_active_hour([0] * 5 + [3] + [1] * 18) == 5


def test_why_invited_uses_only_the_members_own_data():
    now = datetime(2026, 3, 2, tzinfo=UTC)
    past = [PastSalon("AI 读书会", frozenset({"ai", "books"}), now - timedelta(days=20)),
            PastSalon("Old walk", frozenset({"walk"}), now - timedelta(days=200))]  # fmt: skip
    assert why_invited(["AI"], past, {"ai": 3}, now) == ("talks", "ai")
    assert why_invited(["AI"], past, {"ai": 1}, now) == ("tags", "ai")
    assert why_invited(["cooking"], past, {}, now) == ("recent", "AI 读书会")
    assert why_invited(["cooking"], past[1:], {}, now) == ("fallback", "")
    assert why_invited([], [], {}, now) == ("fallback", "")
