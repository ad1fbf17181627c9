"""The database computes the same participation aggregates as the recommender from frames."""

from __future__ import annotations

import asyncio

import numpy as np
import pandas as pd
import pandas.testing as pdt
from sqlalchemy import select

from bot.cli import main
from recommender.participation import PrefetchedParticipation, SignupHistory
from recommender.sim.community import simulate_community, write_history_csv
from storage.db import create_engine, session_factory
from storage.frames import members_frame
from storage.frames_campaigns import invitations_frame
from storage.frames_participation import participation_frame
from storage.frames_salons import events_frame, signups_frame
from storage.models import Campaign, Invitation, Salon, Signup
from tests.test_training_cli import _config
from tests.updates import COMMUNITY_ID


async def _invite(db, community) -> None:
    """A campaign per salon: the simulator's invitations, some withheld, some never sent."""
    async with db.begin() as session:
        salons = {s.source_id: s for s in (await session.scalars(select(Salon))).all()}
        for n, (event_id, inv) in enumerate(community.invitations.groupby("event_id")):
            salon = salons[str(event_id)]
            campaign = Campaign(salon_id=salon.id, community_id=COMMUNITY_ID, holdout_share=0.1,
                                seed=1, wave_hours=24, spread_hours=1,
                                window_ends_at=salon.starts_at)  # fmt: skip
            session.add(campaign)
            await session.flush()
            for i, (user, sent, holdout) in enumerate(
                zip(inv["user_id"], inv["sent_at"], inv["holdout"], strict=True)
            ):
                status = "withheld" if holdout else ("sent" if (i + n) % 5 else "pending")
                session.add(Invitation(campaign_id=campaign.id, salon_id=salon.id,
                                       user_id=int(user), wave=1, holdout=bool(holdout),
                                       probability=0.1, status=status, created_at=sent,
                                       sent_at=None if holdout else sent))  # fmt: skip
        # Ratings and a late answer, so every aggregate has something to count.
        for i, signup in enumerate((await session.scalars(select(Signup))).all()):
            if signup.attended and i % 3 == 0:
                signup.rating = 1 + i % 5


def test_sql_participation_equals_the_frames_history(tmp_path, db_url, capsys):
    community = simulate_community(n_members=90, weeks=16, n_salons=8, seed=5,
                                   community_id=COMMUNITY_ID, with_texts=False)  # fmt: skip
    write_history_csv(community, tmp_path / "history")
    config = _config(tmp_path, db_url)
    assert main(["import", "history", str(tmp_path / "history"), "--config", str(config)]) == 0
    capsys.readouterr()
    asyncio.run(_compare(db_url, community))


async def _compare(db_url, community) -> None:
    engine = create_engine(db_url)
    try:
        await _check(session_factory(engine), community)
    finally:
        await engine.dispose()


async def _check(db, community) -> None:
    await _invite(db, community)
    async with db.begin() as session:
        events = await events_frame(COMMUNITY_ID, session=session)
        members = await members_frame(COMMUNITY_ID, session=session)
        history = SignupHistory(
            events,
            await signups_frame(COMMUNITY_ID, session=session),
            await invitations_frame(COMMUNITY_ID, session=session),
        )
        starts = events["starts_at"].sort_values()
        requests = [(starts.iloc[2] + pd.Timedelta(hours=1), ""),
                    (starts.iloc[5], events["tags"].iloc[5]),  # a salon's own start
                    (starts.iloc[-1] + pd.Timedelta(days=30), "ai;books")]  # fmt: skip
        fetched = await participation_frame(COMMUNITY_ID, requests, session=session)
    source = PrefetchedParticipation(fetched)
    ids = members["user_id"].to_numpy()
    for cutoff, tags in requests:
        got = source.aggregates(ids, cutoff, COMMUNITY_ID, tags)
        expected = history.aggregates(ids, cutoff, COMMUNITY_ID, tags)
        pdt.assert_frame_equal(got, expected, check_dtype=False)
    late = history.aggregates(ids, requests[-1][0], COMMUNITY_ID, "ai;books")
    assert late["joined"].sum() > 0 and late["invited"].sum() > 0
    assert late["rating_count"].sum() > 0 and late["tag_hits"].sum() > 0
    assert late["last_attended"].notna().any()
    assert np.isin(fetched["user_id"], ids).all()
