import time

import numpy as np
import pandas as pd
import pandas.testing as pdt

from recommender import frames
from recommender.sim.community import simulate_community, write_history_csv
from recommender.sim.salons import planted_response


def test_same_seed_same_community_other_seed_differs():
    a = simulate_community(n_members=120, weeks=6, n_salons=4, seed=3)
    b = simulate_community(n_members=120, weeks=6, n_salons=4, seed=3)
    c = simulate_community(n_members=120, weeks=6, n_salons=4, seed=4)
    for name in ("members", "rollups", "events", "signups", "invitations", "texts", "truth"):
        pdt.assert_frame_equal(getattr(a, name), getattr(b, name))
    assert not a.rollups["messages"].equals(c.rollups["messages"])


def test_frames_follow_the_declared_contract():
    com = simulate_community(seed=1)
    for df, cols, name in [
        (com.members, frames.MEMBERS, "members"),
        (com.rollups, frames.ROLLUPS, "rollups"),
        (com.events, frames.EVENTS, "events"),
        (com.signups, frames.SIGNUPS, "signups"),
        (com.invitations, frames.INVITATIONS, "invitations"),
        (com.texts, frames.TEXTS, "texts"),
    ]:
        frames.check_frame(df, cols, name)
        for col in cols:
            if col.endswith("_at") or col == "day":
                assert str(df[col].dtype) == "datetime64[ns, UTC]", (name, col)
    assert (com.rollups["day"] == com.rollups["day"].dt.floor("D")).all()
    hours = com.rollups[list(frames.HOURS)].sum(axis=1)
    assert (hours == com.rollups["messages"]).all()
    assert len(com.texts) == com.rollups["messages"].sum()
    assert set(com.signups["status"]) <= set(frames.SIGNUP_STATUSES)
    assert com.member_types.index.equals(pd.Index(com.members["user_id"], name="user_id"))


def test_planted_types_behave_as_named():
    com = simulate_community(n_members=600, weeks=8, seed=2)
    per_user = com.rollups.groupby("user_id")[["messages", "reactions_given"]].sum()
    per_user = per_user.reindex(com.members["user_id"], fill_value=0)
    by_type = per_user.groupby(com.member_types.to_numpy()).mean()
    assert by_type.loc["talker", "messages"] > 5 * by_type.loc["lurker", "messages"]
    assert by_type.loc["reactor", "reactions_given"] > 3 * by_type.loc["reactor", "messages"]
    last = com.rollups.groupby("user_id")["day"].max()
    dormant = com.member_types[com.member_types == "dormant"].index
    assert (last.reindex(dormant).dropna() < com.start + pd.Timedelta(weeks=3)).all()


def test_signups_follow_interest_match():
    com = simulate_community(n_members=800, weeks=10, n_salons=8, seed=5)
    tags = com.events.set_index("event_id")["tags"].str.split(";")
    truth = com.truth.copy()
    truth["match"] = [
        com.interests.loc[u, tags[e]].sum()
        for e, u in zip(truth["event_id"], truth["user_id"], strict=True)
    ]
    high = truth.loc[truth["match"] > 0.6, "probability"].mean()
    low = truth.loc[truth["match"] < 0.1, "probability"].mean()
    assert high > 3 * low


def test_small_community_is_fast():
    t0 = time.perf_counter()
    simulate_community(n_members=300, weeks=8, seed=0)
    assert time.perf_counter() - t0 < 2.0


def test_write_history_csv_round_trips_counts(tmp_path):
    com = simulate_community(n_members=150, weeks=6, n_salons=3, seed=7)
    paths = write_history_csv(com, tmp_path)
    messages = pd.read_csv(paths["messages"])
    reactions = pd.read_csv(paths["reactions"])
    members = pd.read_csv(paths["members"])
    assert list(members.columns) == ["community_id", "user_id", "joined_at"]
    assert len(messages) == com.rollups["messages"].sum()
    assert len(reactions) == com.rollups["reactions_given"].sum()
    assert messages["text"].notna().all()
    per_user = messages.groupby("user_id").size()
    expected = com.rollups.groupby("user_id")["messages"].sum()
    pdt.assert_series_equal(per_user, expected[expected > 0], check_names=False, check_dtype=False)
    sent = pd.to_datetime(messages["sent_at"], utc=True)
    assert sent.min() >= com.start and sent.max() < com.end
    assert messages["reply_to_user_id"].notna().sum() == com.rollups["replies_sent"].sum()
    signups = pd.read_csv(paths["signups"])
    assert set(signups["response"]) <= {"yes", "no", "waitlist", "maybe"}
    events = pd.read_csv(paths["events"])
    assert events["starts_at"].str.endswith("Z").all()


def test_chunked_csv_without_texts_matches(tmp_path):
    com = simulate_community(n_members=150, weeks=6, n_salons=3, seed=7, with_texts=False)
    assert com.texts.empty
    paths = write_history_csv(com, tmp_path, chunk_rows=50)
    messages = pd.read_csv(paths["messages"])
    assert "text" not in messages.columns
    assert len(messages) == com.rollups["messages"].sum()
    hours = pd.to_datetime(messages["sent_at"], utc=True).dt.hour
    expected = com.rollups[list(frames.HOURS)].sum().to_numpy()
    np.testing.assert_array_equal(np.bincount(hours, minlength=24), expected)


def test_planted_response_for_a_new_salon_follows_the_planted_model():
    com = simulate_community(n_members=300, weeks=8, n_salons=4, seed=3)
    now = com.end
    truth = planted_response(com, ["ai"], now)
    assert len(truth) == 300 and truth["user_id"].is_unique
    assert (truth["p_invited"] > truth["p_uninvited"]).all()  # an invitation helps
    fans = truth["match"] > 0.6
    assert truth.loc[fans, "p_invited"].mean() > 2 * truth.loc[~fans, "p_invited"].mean()
    # dormant members have left by the end of the simulation: the churn term applies
    dormant = com.member_types.reindex(truth["user_id"]).to_numpy() == "dormant"
    assert truth.loc[dormant, "p_invited"].mean() < truth.loc[~dormant, "p_invited"].mean()
    paid = planted_response(com, ["ai"], now, paid=True)
    assert (paid["p_invited"] < truth["p_invited"]).all()
    assert truth["p_attend"].between(0, 1).all() and truth["p_decline"].max() <= 0.12
    # after the simulated weeks, demand is like that of the simulated salons on the topic
    later = planted_response(com, ["ai"], now + pd.Timedelta(hours=20))
    assert later["p_invited"].sum() == truth["p_invited"].sum()
    per_salon = com.truth.groupby("event_id")["probability"].sum()
    assert later["p_uninvited"].sum() > 0.5 * per_salon.min()
