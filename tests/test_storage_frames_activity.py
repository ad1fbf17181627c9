"""The database computes the same activity aggregates as the recommender does from rollups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandas.testing as pdt
from sqlalchemy import insert

from recommender.activity import as_of, rollup_aggregates
from recommender.sim.community import simulate_community
from storage.frames import rollups_frame
from storage.frames_activity import activity_frame
from storage.models import Community, Membership, User
from storage.models.activity import activity_daily

C = -1007


async def _write(db, community) -> None:
    m = community.members
    ids = [int(u) for u in m["user_id"]]
    r = community.rollups
    async with db.begin() as session:
        await session.execute(insert(Community), [{"id": C, "title": "sim", "timezone": "UTC"}])
        await session.execute(insert(User), [{"id": u, "first_name": "m"} for u in ids])
        await session.execute(insert(Membership), [{"community_id": C, "user_id": u} for u in ids])
        rows = r.assign(community_id=C, day=r["day"].dt.date).to_dict("records")
        await session.execute(insert(activity_daily), rows)


async def test_sql_aggregates_equal_the_rollup_aggregates(db):
    community = simulate_community(n_members=80, weeks=30, n_salons=3, seed=4, community_id=C,
                                   with_texts=False)  # fmt: skip
    await _write(db, community)
    ids = community.members["user_id"].to_numpy()
    start = community.start
    cutoffs = [start + pd.Timedelta(days=3, hours=5),  # hardly any history yet
               start + pd.Timedelta(days=100),  # midnight: that day is not over
               start + pd.Timedelta(days=205, hours=23, minutes=59)]  # fmt: skip
    requests = [(C, as_of(c), ids[i::2]) for i, c in enumerate(cutoffs)]
    requests.append((C, as_of(cutoffs[2]), ids[:5]))  # overlaps are fetched once
    async with db.begin() as session:
        got = await activity_frame(requests, session=session)
        rollups = await rollups_frame(C, session=session)
    assert len(got) == sum(len(np.unique(ids[i::2])) for i in range(3)) + 3  # ids[:5] \ ids[2::2]
    for cutoff in cutoffs:
        day = as_of(cutoff)
        part = got[got["as_of"] == day].set_index("user_id")
        expected = rollup_aggregates(rollups, C, day, part.index.to_numpy())
        pdt.assert_frame_equal(part[list(expected.columns)], expected, check_dtype=False)
        assert part["messages_90d"].sum() > 0 or cutoff == cutoffs[0]


async def test_members_without_rollups_get_zero_and_no_days(db):
    community = simulate_community(n_members=5, weeks=2, n_salons=1, seed=1, community_id=C,
                                   with_texts=False)  # fmt: skip
    await _write(db, community)
    early = as_of(community.start)  # before any rollup day
    ids = community.members["user_id"].to_numpy()
    async with db.begin() as session:
        got = await activity_frame([(C, early, ids)], session=session)
        assert (await activity_frame([], session=session)).empty
    assert sorted(got["user_id"]) == sorted(ids)
    assert (got["messages_90d"] == 0).all() and got["first_day"].isna().all()
