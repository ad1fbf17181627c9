"""bench/campaign_efficiency.py: the campaign loop it compares strategies with."""

from __future__ import annotations

import numpy as np

from bench.campaign_efficiency import run_campaign


def test_waves_stop_when_the_seats_are_filled_and_overflow_is_waitlisted():
    signs_up = np.array([True, False, True, True, False, True, True, False])
    order = np.arange(8)
    out = run_campaign(order, signs_up, seats=3, size_of=lambda _pos, free: free)
    # waves of 3 (2 sign up), then 1 (1 signs up): filled after 4 invitations
    assert out == {"invitations": 4, "signups": 3, "seats_filled": 3, "waitlisted": 0,
                   "waves": 2}  # fmt: skip
    big = run_campaign(order, signs_up, seats=3, size_of=lambda _pos, _free: 8)
    assert (big["invitations"], big["signups"], big["waitlisted"]) == (8, 5, 2)
    nobody = run_campaign(order, np.zeros(8, dtype=bool), seats=3, size_of=lambda _p, f: f)
    assert nobody["invitations"] == 8 and nobody["seats_filled"] == 0
