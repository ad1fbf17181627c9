import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from recommender import frames
from recommender.features import MEMBER_FEATURES, member_features, tag_affinity, tag_profiles
from recommender.interests import text_profiles, text_similarity
from tests.recommender import handmade as hm

CUTOFF = hm.ts(100)


def _features(
    members, rollups=None, events=None, signups=None, invitations=None, cutoff=CUTOFF, texts=None
):
    return member_features(
        members,
        hm.rollups(rollups or []),
        hm.events(events or []),
        hm.signups(signups or []),
        hm.invitations(invitations or []),
        cutoff,
        texts=texts,
    )


def test_columns_and_index_are_the_declared_ones():
    f = _features(hm.members(1, 2))
    assert list(f.columns) == list(MEMBER_FEATURES)
    assert list(f.index) == [1, 2] and f.index.name == "user_id"


def test_activity_windows_count_days_that_ended_before_cutoff():
    rows = [
        {"user_id": 1, "day": 99, "h": {13: 2}, "chars": 50, "reactions_given": 1},  # last day
        {"user_id": 1, "day": 80, "h": {20: 1}, "chars": 10},  # 20 days ago
        {"user_id": 1, "day": 20, "h": {3: 4}},  # 80 days ago
        {"user_id": 1, "day": 5, "h": {3: 7}},  # 95 days ago: outside every window
        {"user_id": 1, "day": 100, "h": {1: 9}},  # day of the cutoff: not over yet
    ]
    f = _features(hm.members(1, 2), rollups=rows).loc[1]
    assert (f["messages_7d"], f["messages_30d"], f["messages_90d"]) == (2, 3, 7)
    assert (f["active_days_7d"], f["active_days_30d"], f["active_days_90d"]) == (1, 2, 3)
    assert f["chars_30d"] == 60 and f["reactions_given_7d"] == 1
    assert f["days_since_active"] == 0.0


def test_hour_profile_uses_the_last_90_days():
    rows = [
        {"user_id": 1, "day": 50, "h": {1: 1, 8: 1, 13: 5, 20: 3}},
        {"user_id": 1, "day": 9, "h": {3: 50}},
    ]  # 91 days before the cutoff: too old
    f = _features(hm.members(1, 2), rollups=rows)
    assert f.loc[1, "share_night"] == pytest.approx(0.1)
    assert f.loc[1, "share_afternoon"] == pytest.approx(0.5)
    assert f.loc[1, "peak_hour"] == 13
    assert f.loc[2, "peak_hour"] == -1 and f.loc[2, "share_evening"] == 0


def test_recency_and_tenure():
    members = hm.members(1, 2, 3, joined={1: hm.ts(40), 2: None, 3: None})
    rows = [{"user_id": 2, "day": 60, "h": {9: 1}}, {"user_id": 2, "day": 89, "h": {9: 1}}]
    f = _features(members, rollups=rows)
    assert f.loc[1, "tenure_days"] == 60 and f.loc[1, "days_since_active"] == 365
    assert f.loc[2, "tenure_days"] == 40  # joined unknown: first active day
    assert f.loc[2, "days_since_active"] == 10  # day 89 ended at day 90
    assert f.loc[3, "tenure_days"] == 0


def test_participation_history():
    events = [
        {"event_id": 1, "starts": 10, "created": 2, "tags": "ai"},
        {"event_id": 2, "starts": 50, "created": 40, "tags": "ai;design"},
        {"event_id": 3, "starts": 70, "created": None, "tags": "health"},
    ]
    signups = [
        (1, 1, "yes", 3, 1.0, 4.0),
        (2, 1, "yes", 41, 1.0, 5.0),
        (3, 1, "no", 61, np.nan, np.nan),
        (1, 2, "yes", 3, 0.0, np.nan),
        (2, 2, "waitlist", 45, 0.0, np.nan),
        (3, 2, "maybe", 65, np.nan, np.nan),
    ]
    invitations = [(1, 1, 2.5, False), (2, 1, 40.5, False), (2, 2, 40.5, True)]
    f = _features(hm.members(1, 2, 3), events=events, signups=signups, invitations=invitations)
    assert f.loc[1, ["invited", "joined", "attended", "no_shows", "declines"]].tolist() == [
        2,
        2,
        2,
        0,
        1,
    ]
    assert f.loc[1, "days_since_attended"] == 50 and f.loc[1, "avg_rating"] == 4.5
    assert f.loc[2, ["invited", "joined", "attended", "no_shows", "declines"]].tolist() == [
        0,
        2,
        0,
        1,
        0,
    ]
    assert f.loc[2, "days_since_attended"] == 365 and np.isnan(f.loc[2, "avg_rating"])
    assert f.loc[3, ["invited", "joined", "attended"]].tolist() == [0, 0, 0]


def test_nothing_at_or_after_cutoff_changes_features():
    members = hm.members(1, 2, joined={1: hm.ts(0), 2: hm.ts(0)}, reachable={1})
    rows = [{"user_id": 1, "day": 95, "h": {10: 2}}]
    events = [{"event_id": 1, "starts": 60, "created": 50, "tags": "ai"}]
    signups = [(1, 1, "yes", 55, 1.0, 5.0)]
    texts = hm.texts([(1, 90, "hello AI")])
    base = _features(members, rows, events, signups, [(1, 1, 51, False)], texts=texts)
    later_events = events + [
        {"event_id": 2, "starts": 100, "created": 90, "tags": "ai"},  # starts at the cutoff
        {"event_id": 3, "starts": 98, "created": 90, "tags": "ai"},  # started, answers late
    ]
    later_signups = signups + [
        (2, 1, "yes", 95, 1.0, 5.0),
        (2, 2, "yes", 95, 1.0, 5.0),
        (3, 2, "yes", 100, 0.0, 1.0),
    ]
    later_rows = rows + [
        {"user_id": 2, "day": 100, "h": {1: 5}},
        {"user_id": 1, "day": 120, "h": {1: 5}},
    ]
    later_texts = pd.concat([texts, hm.texts([(2, 100, "late"), (1, 101, "late")])])
    after = _features(
        members,
        later_rows,
        later_events,
        later_signups,
        [(1, 1, 51, False), (2, 2, 100, False)],
        texts=later_texts,
    )
    pdt.assert_frame_equal(base, after)
    assert base.loc[1, "texts_90d"] == 1 and base.loc[1, "messages_7d"] == 2


def test_naive_cutoff_and_missing_column_are_refused():
    with pytest.raises(ValueError, match="timezone"):
        _features(hm.members(1), cutoff=pd.Timestamp("2024-06-01"))
    with pytest.raises(ValueError, match="'reachable'"):
        _features(hm.members(1).drop(columns="reachable"))
    with pytest.raises(ValueError, match="'h07'"):
        frames.check_frame(hm.rollups([]).drop(columns="h07"), frames.ROLLUPS, "rollups")


def test_tag_affinity_is_share_of_past_salon_tags():
    events = hm.events(
        [
            {"event_id": 1, "starts": 10, "tags": "ai;design"},
            {"event_id": 2, "starts": 20, "tags": "AI"},
            {"event_id": 3, "starts": 120, "tags": "health"},  # after cutoff
        ]
    )
    signups = hm.signups(
        [
            (1, 1, "yes", 5, 1.0, np.nan),
            (2, 1, "waitlist", 15, 0.0, np.nan),
            (3, 1, "yes", 99, np.nan, np.nan),
            (1, 2, "no", 5, np.nan, np.nan),
        ]
    )
    profile = tag_profiles(events, signups, CUTOFF)
    aff = tag_affinity(profile, "ai", pd.Index([1, 2]))
    assert aff.loc[1] == pytest.approx(2 / 3) and aff.loc[2] == 0
    assert tag_affinity(profile, "health", pd.Index([1])).loc[1] == 0


def test_text_profiles_match_topics_across_languages_and_respect_cutoff():
    texts = hm.texts(
        [
            (1, 1, "我最近在研究大模型和机器学习"),
            (1, 2, "大模型 agents are fun"),
            (2, 1, "读书会这本小说太好看了"),
            (2, 3, "书单推荐 book club"),
            (3, 150, "大模型 大模型 大模型"),  # after cutoff
        ]
    )
    profiles = text_profiles(texts, CUTOFF)
    sims = text_similarity(profiles, "人工智能沙龙：大模型实战 AI salon", pd.Index([1, 2, 3]))
    assert sims.loc[1] > sims.loc[2] and sims.loc[3] == 0
    assert text_similarity(text_profiles(texts.iloc[:0], CUTOFF), "x", pd.Index([1])).loc[1] == 0
