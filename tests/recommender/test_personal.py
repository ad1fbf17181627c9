"""recommender.personal: a member's own salon ranking, and its backtest against date order."""

from __future__ import annotations

import pandas as pd
import pytest

from recommender.personal import (
    MAX_PROBABILITY,
    affinity,
    first_joins,
    member_rate,
    rank_salons,
    tag_profile,
)
from recommender.personal_eval import backtest_members, member_pairs
from recommender.sim.community import simulate_community

T0 = pd.Timestamp("2025-03-01", tz="UTC")


def _candidates(*tags: str) -> pd.DataFrame:
    starts = [T0 + pd.Timedelta(days=i) for i in range(len(tags))]
    return pd.DataFrame(
        {"event_id": range(1, len(tags) + 1), "tags": list(tags), "starts_at": starts}
    )


def test_affinity_is_the_share_of_the_profile_a_salon_carries():
    profile = tag_profile(["AI;ml", "ai", "Poetry", None])
    assert profile == {"ai": 2, "ml": 1, "poetry": 1}
    assert affinity(profile, "ai;cooking") == pytest.approx(0.5)
    assert affinity(profile, "ML; poetry") == pytest.approx(0.5)
    assert affinity(tag_profile([]), "ai") == 0.0


def test_member_rate_is_shrunk_towards_the_community():
    assert member_rate(0, 0, 0.1) == pytest.approx(0.1)
    assert member_rate(10, 10, 0.1) == pytest.approx((10 + 0.4) / 14)
    assert member_rate(0, 0, 0.0) == pytest.approx(0.05)  # unknown rate: the default


def test_rank_puts_the_fit_first_then_the_date_and_popularity_only_explains():
    ranked = rank_salons(_candidates("poetry", "ai;ml", "cooking", "design"),
                         tag_profile(["ai", "ai;ml"]), tag_profile(["poetry"]), 0.2,
                         pd.Series({3: 5.0}))  # fmt: skip
    assert ranked["event_id"].tolist() == [2, 1, 3, 4]
    assert ranked["kind"].tolist() == ["tags", "fallback", "popular", "fallback"]
    assert ranked["detail"].tolist()[:3] == ["ai;ml", "", "5"]
    assert ranked["probability"].mean() == pytest.approx(0.2)  # the member's own rate
    assert ranked["probability"].max() <= MAX_PROBABILITY


def test_a_member_without_history_is_compared_with_newcomers():
    ranked = rank_salons(_candidates("poetry", "ai"), tag_profile([]),
                         tag_profile(["ai", "ai", "poetry"]), 0.1)  # fmt: skip
    assert ranked["event_id"].tolist() == [2, 1]
    assert ranked["kind"].tolist() == ["newcomers", "newcomers"]
    assert rank_salons(_candidates(), tag_profile([]), tag_profile([]), 0.1).empty


def test_first_joins_take_each_members_earliest_salon_joined():
    events = _candidates("a", "b", "c")
    signups = pd.DataFrame({"event_id": [2, 1, 3, 3], "user_id": [7, 7, 8, 9],
                            "status": ["yes", "waitlist", "no", "yes"]})  # fmt: skip
    firsts = first_joins(signups, events)
    assert dict(zip(firsts["user_id"], firsts["event_id"], strict=True)) == {7: 1, 9: 3}


def test_backtest_members_beats_date_order_on_a_simulated_community():
    c = simulate_community(n_members=300, weeks=16, n_salons=16, seed=1)
    pairs = member_pairs(c.members, c.events, c.signups)
    per_member = pairs.groupby("user_id")["label"].agg(["min", "max"])
    assert (per_member["min"] == 0).all() and (per_member["max"] == 1).all()
    report = backtest_members(c.members, c.events, c.signups)
    assert report["members"] == pairs["user_id"].nunique() > 20
    assert report["personal"]["mean_auc"] > report["date_order"]["mean_auc"] + 0.05


def test_backtest_members_without_test_salons_reports_nothing():
    c = simulate_community(n_members=20, weeks=2, n_salons=1, seed=0)
    report = backtest_members(c.members, c.events.iloc[:0], c.signups.iloc[:0])
    none = {"mean_auc": None}
    assert report == {"members": 0, "pairs": 0, "personal": none, "date_order": none,
                      "popularity": none}  # fmt: skip
