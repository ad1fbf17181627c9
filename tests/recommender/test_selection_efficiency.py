"""Power, pooled uplift and calibration of campaigns (recommender/selection.py)."""

from __future__ import annotations

import numpy as np
import pytest

from recommender.selection import (
    calibration_ratio,
    detectable_uplift,
    holdout_options,
    invitations_per_signup,
    pooled_uplift,
    uplift_interval,
)


def test_detectable_uplift_shrinks_with_bigger_groups():
    small = detectable_uplift(90, 10, 0.1)
    big = detectable_uplift(900, 100, 0.1)
    assert big == pytest.approx(small / np.sqrt(10))
    # 2.80 * sqrt(0.09 * (1/900 + 1/100)) = 0.0885
    assert big == pytest.approx(0.0885, abs=0.001)
    assert detectable_uplift(100, 0, 0.1) is None
    options = holdout_options(1000, 0.1)
    assert [o[1] for o in options] == [50, 100, 200, 300]
    assert [o[2] for o in options] == sorted([o[2] for o in options], reverse=True)


def test_pooled_uplift_narrows_the_interval_and_weights_by_precision():
    one = (30, 300, 2, 40)
    single = uplift_interval(*one)
    pooled = pooled_uplift([one, one, one, one])
    assert pooled.uplift == pytest.approx(single.uplift)
    assert pooled.high - pooled.low < (single.high - single.low) / 1.5
    assert (pooled.invited, pooled.invited_signups, pooled.holdout) == (1200, 120, 160)
    # A precise campaign outweighs a tiny one.
    mixed = pooled_uplift([(200, 1000, 100, 1000), (5, 10, 0, 10)])
    assert mixed.uplift == pytest.approx(0.1, abs=0.03)
    empty = pooled_uplift([(3, 10, 0, 0)])
    assert empty.uplift is None and empty.invited == 10


def test_calibration_ratio_is_shrunk_and_bounded():
    assert calibration_ratio(0.0, 0) == 1.0
    assert calibration_ratio(100.0, 200) == pytest.approx(210 / 110)
    assert calibration_ratio(1000.0, 10) == 0.25
    assert calibration_ratio(1.0, 1000) == 4.0
    assert invitations_per_signup(100, 20) == 5.0 and invitations_per_signup(10, 0) is None
