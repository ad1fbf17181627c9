"""bench/plan_backtest_meetup.py on a small hand-made file in the Meetup DC format (the real
data set is never needed by the tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.meetup_to_history import read_tables
from bench.plan_backtest_meetup import history_frames, largest, main, run
from recommender.model import ModelParams

DAY_MS = 86_400_000
START_MS = 1_450_000_000_000  # December 2015


def _write_meetup(path) -> None:
    """Group 10: 20 members, 16 weekly events, each member with their own RSVP rate;
    group 20: 8 members, 10 events; group 30: one event. Every other RSVP of member 3 is
    'watching' (a maybe, not a signup)."""
    rng = np.random.default_rng(0)
    rows, members = [], []
    for group, n_members, n_events in ((10, 20, 16), (20, 8, 10), (30, 3, 1)):
        ids = group * 100 + np.arange(n_members)
        rate = np.linspace(0.1, 0.9, n_members)
        members += [(int(u), group) for u in ids]
        for e in range(n_events):
            starts = START_MS + (7 * e + group % 7) * DAY_MS
            for u, r in zip(ids, rate, strict=True):
                if rng.random() < r or u == ids[0]:
                    response = "watching" if u % 100 == 3 and e % 2 else "yes"
                    rows.append({"memberId": int(u), "eventId": f"ev{group}x{e}",
                                 "eventTime": starts, "groupId": group,
                                 "rsvpTime": starts - 3 * DAY_MS, "rsvpResponse": response,
                                 "eventDay": "MONDAY", "eventPeriod": "EVENING"})  # fmt: skip
    rsvps = pd.DataFrame(rows)
    for i, part in enumerate(("train", "cv", "test")):
        rsvps.iloc[i::3].to_csv(path / f"rsvp_dc_{part}.csv", index=False)
    pd.DataFrame(members, columns=["userId", "groupId"]).to_csv(path / "user_group_dc.csv",
                                                                index=False)  # fmt: skip


def test_frames_keep_groups_events_and_signups(tmp_path):
    _write_meetup(tmp_path)
    tables = read_tables(tmp_path)
    history = history_frames(*tables)
    events, signups = history["events"], history["signups"]
    assert len(events) == 27 and events["event_id"].is_unique
    assert sorted(events["community_id"].unique()) == [10, 20, 30]
    assert len(signups) == len(tables[2])
    assert set(signups["event_id"]) <= set(events["event_id"])
    assert (signups.loc[signups["user_id"] == 1003, "status"] == "maybe").any()
    assert history["members"]["joined_at"].isna().all()
    assert events["created_at"].isna().all()  # cutoff: a week before the start
    one = history_frames(*largest(tables, 1))
    assert set(one["events"]["community_id"]) == {10} and len(one["events"]) == 16


def test_run_reports_sum_p_next_to_the_salon_model_and_the_baselines(tmp_path):
    _write_meetup(tmp_path)
    report = run(history_frames(*read_tables(tmp_path)), ModelParams())
    assert report["data"]["groups"] == 3 and report["data"]["salons"] == 27
    assert report["members"]["model_kind"] == "model"
    plan = report["plan"]
    assert plan["outcome"] == "ok"
    # 22 salons with one that started before their cutoff (a week before: weekly events
    # see the one two weeks back) in their group: the latest 30 % are predicted
    assert plan["salons"] + plan["train_salons"] == 22 and plan["salons"] == 7
    assert plan["communities"] == 2
    assert plan["baselines"]["sum_p"]["salons"] == plan["salons"]
    assert set(plan["baselines"]) == {"previous_mean", "sum_p", "salon_features_only"}
    for block in (plan["model"], *plan["baselines"].values()):
        assert 0.0 <= block["mae"] < 10.0  # signups per salon here: 2 to 18


def test_missing_data_is_a_clear_exit(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["plan_backtest_meetup.py", "--data", str(tmp_path)])
    assert main() == 2
    assert "meetup data not found" in capsys.readouterr().err


@pytest.mark.parametrize("groups", [None, 2])
def test_largest_keeps_signups_of_the_kept_events(tmp_path, groups):
    _write_meetup(tmp_path)
    members, events, signups = largest(read_tables(tmp_path), groups)
    assert set(signups["event_id"]) <= set(events["event_id"])
    assert set(members["community_id"]) == set(events["community_id"])
