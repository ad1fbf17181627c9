import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from recommender.evaluation import backtest
from recommender.features import member_features
from recommender.model import (
    ModelParams,
    expected_turnout,
    load_model,
    save_model,
    score,
    train,
)
from recommender.segmentation import SEGMENT_NAMES, name_segment, segment_members
from recommender.sim.community import simulate_community
from tests.recommender import handmade as hm


@pytest.fixture(scope="module")
def community():
    return simulate_community(n_members=400, weeks=16, n_salons=12, seed=0)


@pytest.fixture(scope="module")
def report(community):
    c = community
    return backtest(c.members, c.rollups, c.events, c.signups, c.invitations, c.texts)


def test_backtest_beats_baselines_on_simulated_community(report):
    assert report["model_kind"] == "model"
    assert report["events"] == 4 and report["pairs"] > 1000 and report["positives"] > 50
    assert report["model"]["auc"] >= 0.80
    assert report["model"]["auc"] >= report["baselines"]["popularity"]["auc"] + 0.05
    assert abs(report["baselines"]["random"]["auc"] - 0.5) < 0.1
    assert report["model"]["brier"] < report["baselines"]["random"]["brier"]
    assert report["baselines"]["popularity"]["brier"] is None
    assert set(report["model"]) == {"auc", "average_precision", "precision_at_10", "brier"}


def test_segments_recover_planted_types_and_names_are_stable(community):
    c = community
    f = member_features(c.members, c.rollups, c.events, c.signups, c.invitations, c.end)
    a, b = segment_members(f, random_state=0), segment_members(f, random_state=7)
    assert 3 <= a.k <= 6 and a.silhouette > 0.2
    assert set(a.members["segment"]) <= set(SEGMENT_NAMES)
    truth = c.member_types.reindex(a.members["user_id"]).to_numpy()
    assert adjusted_rand_score(truth, a.members["cluster"]) > 0.3
    agree = (a.members["segment"].to_numpy() == b.members["segment"].to_numpy()).mean()
    assert agree > 0.9
    newcomers = a.members.loc[truth == "newcomer", "segment"]
    assert (newcomers == "newcomers").mean() > 0.7


def test_segment_naming_rules():
    base = {
        "messages_90d": 0.0,
        "reactions_given_90d": 0.0,
        "active_days_90d": 0.0,
        "days_since_active": 365.0,
        "tenure_days": 400.0,
        "joined": 0.0,
    }
    assert name_segment(pd.Series(base)) == "lurkers"
    assert name_segment(pd.Series({**base, "tenure_days": 10})) == "newcomers"
    assert (
        name_segment(pd.Series({**base, "messages_90d": 30, "joined": 3, "days_since_active": 1}))
        == "core"
    )
    assert name_segment(pd.Series({**base, "messages_90d": 30, "days_since_active": 1})) == (
        "active talkers"
    )
    assert (
        name_segment(
            pd.Series(
                {**base, "reactions_given_90d": 20, "messages_90d": 1, "days_since_active": 2}
            )
        )
        == "reactors"
    )
    assert name_segment(pd.Series({**base, "messages_90d": 3, "days_since_active": 70})) == (
        "dormant"
    )


def _tiny():
    members = hm.members(1, 2, 3, joined={1: hm.ts(0), 2: hm.ts(0), 3: hm.ts(0)})
    rollups = hm.rollups(
        [
            {"user_id": 1, "day": 20, "h": {12: 20}, "reactions_given": 5},
            {"user_id": 2, "day": 21, "h": {12: 1}},
        ]
    )
    events = hm.events(
        [
            {"event_id": 1, "starts": 10, "created": 3, "tags": "ai"},
            {"event_id": 2, "starts": 40, "created": 30, "tags": "ai"},
        ]
    )
    signups = hm.signups([(1, 1, "yes", 5, 1.0, 5.0)])
    return members, rollups, events, signups, hm.invitations([])


def test_prior_fallback_on_tiny_history_says_so():
    members, rollups, events, signups, invitations = _tiny()
    trained = train(members, rollups, events, signups, invitations, event_ids=[1])
    assert trained.kind == "prior" and trained.pipeline is None
    assert "prior" in trained.reason and "1 past salons" in trained.reason
    scored = score(trained, members, rollups, events, signups, invitations, 2)
    assert list(scored.columns) == ["user_id", "probability"]
    assert scored["user_id"].tolist()[0] == 1  # most active and attended an AI salon before
    p = scored.set_index("user_id")["probability"]
    assert p.loc[1] > p.loc[2] > p.loc[3] > 0
    with pytest.raises(ValueError, match="unknown event_id"):
        score(trained, members, rollups, events, signups, invitations, 99)


def test_trained_model_scores_saves_and_loads(community, tmp_path):
    c = community
    past = c.events["event_id"].iloc[:9].tolist()
    trained = train(
        c.members,
        c.rollups,
        c.events,
        c.signups,
        c.invitations,
        c.texts,
        ModelParams(random_state=1),
        event_ids=past,
    )
    assert trained.kind == "model" and trained.n_pairs > 2000
    args = (c.members, c.rollups, c.events, c.signups, c.invitations, 12, c.texts)
    scored = score(trained, *args)
    assert scored["probability"].between(0, 1).all()
    assert scored["probability"].is_monotonic_decreasing
    save_model(trained, tmp_path / "m.joblib")
    again = score(load_model(tmp_path / "m.joblib"), *args)
    np.testing.assert_allclose(again["probability"], scored["probability"])
    (tmp_path / "bad.joblib").write_bytes(b"")
    with pytest.raises(Exception):  # noqa: B017 - joblib raises EOFError on an empty file
        load_model(tmp_path / "bad.joblib")


def test_negative_sampling_keeps_positives_and_corrects_odds(community):
    c = community
    past = c.events["event_id"].iloc[:9].tolist()
    trained = train(
        c.members,
        c.rollups,
        c.events,
        c.signups,
        c.invitations,
        params=ModelParams(max_pairs=1500, calibrate_min_positives=10**6),
        event_ids=past,
    )
    assert trained.negative_rate < 1 and "sampled" in trained.reason
    scored = score(trained, c.members, c.rollups, c.events, c.signups, c.invitations, 12)
    # corrected probabilities stay near the true base rate instead of the sampled one
    assert scored["probability"].mean() < 2.5 * trained.base_rate


def test_expected_turnout_interval():
    mean, low, high = expected_turnout([0.5] * 100)
    assert mean == pytest.approx(50)
    assert high - mean == pytest.approx(1.6449 * 5, rel=1e-3) and low == pytest.approx(
        50 - 1.6449 * 5, rel=1e-3
    )
    assert expected_turnout([]) == (0.0, 0.0, 0.0)
    assert expected_turnout([0.01] * 3)[1] == 0.0


def test_history_without_ratings_trains_and_scores(community):
    """Imported history has no ratings: the all-missing avg_rating column must not break fitting."""
    c = community
    signups = c.signups.assign(rating=np.nan)
    past = c.events["event_id"].iloc[:9].tolist()
    for calibrate_min in (10**6, 1):  # plain booster, and the calibrated one (3 folds)
        trained = train(c.members, c.rollups, c.events, signups, c.invitations,
                        params=ModelParams(calibrate_min_positives=calibrate_min),
                        event_ids=past)  # fmt: skip
        assert trained.kind == "model"
        scored = score(trained, c.members, c.rollups, c.events, signups, c.invitations, 12)
        assert scored["probability"].between(0, 1).all() and scored["probability"].std() > 0
