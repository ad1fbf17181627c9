"""Activity aggregates: the prefix-sum source agrees with the definition, chains, no leakage."""

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from recommender.activity import (
    ChainedActivity,
    PrefetchedActivity,
    RollupActivity,
    as_of,
    rollup_aggregates,
)
from recommender.sim.community import simulate_community
from tests.recommender import handmade as hm


def test_prefix_sums_equal_the_grouped_definition():
    com = simulate_community(n_members=150, weeks=30, n_salons=2, seed=6, with_texts=False)
    other = com.rollups.assign(community_id=-2)  # the same members in a second community
    rollups = pd.concat([com.rollups, other.iloc[::3]], ignore_index=True)
    source = RollupActivity(rollups.sample(frac=1.0, random_state=0))  # any row order
    ids = np.append(com.members["user_id"].to_numpy(), 5)  # 5: never active
    for cid in (-1001, -2):
        for offset in (0, 1, 40, 133, 209, 400):
            day = com.start + pd.Timedelta(days=offset)
            got = source.aggregates(cid, day, ids)
            pdt.assert_frame_equal(
                got, rollup_aggregates(rollups, cid, day, ids), check_dtype=False
            )


def test_a_day_counts_once_it_is_over_and_hours_cover_90_days():
    rows = [
        {"user_id": 1, "day": 99, "h": {13: 2}},
        {"user_id": 1, "day": 100, "h": {1: 9}},  # the cutoff's own day: not over yet
        {"user_id": 1, "day": 5, "h": {3: 7}},  # 95 days before: only first_day sees it
    ]
    source = RollupActivity(hm.rollups(rows))
    for cutoff in (hm.ts(100), hm.ts(100, 23.9)):  # any time of day: same as_of
        agg = source.aggregates(-1, as_of(cutoff), np.array([1, 2])).loc[1]
        assert agg["messages_7d"] == 2 and agg["messages_90d"] == 2
        assert agg["h13"] == 2 and agg["h03"] == 0 and agg["h01"] == 0
        assert agg["first_day"] == hm.ts(5) and agg["last_day"] == hm.ts(99)


def test_sources_refuse_members_they_do_not_hold_and_chain():
    rollups = hm.rollups([{"user_id": 1, "day": 3, "h": {9: 1}}])
    panel = RollupActivity(rollups, members=hm.members(1, 2))
    day = as_of(hm.ts(10))
    with pytest.raises(KeyError):
        panel.aggregates(-1, day, np.array([3]))
    with pytest.raises(KeyError):  # the same member in another community
        panel.aggregates(-2, day, np.array([1]))
    fetched = rollup_aggregates(rollups, -1, day, np.array([3])).reset_index()
    fetched.insert(0, "community_id", -1)
    fetched.insert(2, "as_of", day)
    prefetched = PrefetchedActivity(fetched)
    with pytest.raises(KeyError):
        prefetched.aggregates(-1, as_of(hm.ts(11)), np.array([3]))
    chain = ChainedActivity(panel, prefetched)
    assert chain.aggregates(-1, day, np.array([3])).index.tolist() == [3]
    assert chain.aggregates(-1, day, np.array([1, 2]))["messages_7d"].tolist() == [1, 0]
    with pytest.raises(KeyError):
        chain.aggregates(-1, day, np.array([1, 3]))
