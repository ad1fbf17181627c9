"""Edges of the nightly model on real storage: the histories that crashed it, named one by one."""

from __future__ import annotations

import math
from datetime import timedelta

import pandas as pd
import pytest
from sqlalchemy import select

from bot.models.training import NotEnoughData, evaluate_communities, score_salon, train_community
from recommender.interests import text_profiles, text_similarity
from storage.activity import add_activity
from storage.events import MemberEvent, MessageEvent
from storage.importers.common import ensure_community
from storage.importers.salons import import_events, import_signups
from storage.models import ModelRun, Salon
from storage.models.activity import JOIN
from storage.models.runs import RUN_OK
from storage.types import utcnow
from tests.conftest import make_config
from tests.updates import COMMUNITY_ID


def _texts(texts: list[str]) -> pd.DataFrame:
    at = pd.Timestamp("2026-01-01", tz="UTC")
    return pd.DataFrame({"community_id": 1, "user_id": range(len(texts)),
                         "sent_at": [at] * len(texts), "text": texts})  # fmt: skip


def test_identical_texts_of_many_members_keep_their_ngrams():
    profiles = text_profiles(_texts(["大家早上好 good morning"] * 50), pd.Timestamp.now(tz="UTC"))
    assert profiles.vectorizer is not None and profiles.matrix.shape[0] == 50
    sims = text_similarity(profiles, "good morning 读书会", pd.Index(range(50)))
    assert sims.between(0, 1).all() and sims.nunique() == 1


def test_blank_texts_give_no_profiles():
    profiles = text_profiles(_texts(["", " ", "\n"] * 20), pd.Timestamp.now(tz="UTC"))
    assert profiles.vectorizer is None
    assert text_similarity(profiles, "anything", pd.Index([0, 1])).eq(0).all()


def _config(db_url, tmp_path):
    return make_config(db_url, privacy={"store_text": True, "retention_days": 36500},
                       models={"model_dir": str(tmp_path / "models")})  # fmt: skip


async def _community(db, members: int, text: str, salons: list[int], signed: set[int]):
    """`members` members who all wrote `text`; salons `days` from now, `signed` signed up."""
    now = utcnow()
    ids = [5000 + i for i in range(members)]
    events = [MemberEvent(COMMUNITY_ID, u, now - timedelta(days=90), JOIN) for u in ids]
    events += [MessageEvent(COMMUNITY_ID, u, now - timedelta(days=d, minutes=i), "text",
                            len(text), 10_000 * d + i, text=text, source="export")
               for i, u in enumerate(ids) for d in (3, 20, 40)]  # fmt: skip
    rows = [{"event_id": f"edge-{n}", "community_id": str(COMMUNITY_ID), "title": f"s{n}",
             "starts_at": (now + timedelta(days=day)).isoformat(), "tags": ""}
            for n, day in enumerate(salons)]  # fmt: skip
    signups = [{"event_id": f"edge-{n}", "user_id": str(u), "response": "yes",
                "responded_at": (now + timedelta(days=day - 2)).isoformat()}
               for n, day in enumerate(salons) for u in ids if u % 5000 in signed]  # fmt: skip
    async with db.begin() as session:
        await ensure_community(COMMUNITY_ID, "读书会", session=session)
        await add_activity(events, session=session, store_text=True, text_since=None)
        await import_events(rows, session=session)
        await import_signups(signups, session=session)


@pytest.mark.parametrize(
    ("members", "salons", "signed"),
    [
        (45, [-30, -20, -10, 7], set(range(0, 45, 3))),  # identical texts, 45 members
        (45, [-30, -20, -10, 7], set(range(45))),  # everyone signed up
        (45, [-30, -20, -10, 7], set()),  # nobody signed up
        (1, [-10, 7], {0}),  # one member
        (12, [7, 400], set()),  # no past salons, one far in the future
    ],
)
async def test_training_on_identical_texts_and_one_sided_outcomes(
    db, db_url, tmp_path, members, salons, signed
):
    config = _config(db_url, tmp_path)
    await _community(db, members, "哈哈 同意 haha agreed", salons, signed)
    run_id = await train_community(db, config, COMMUNITY_ID)
    async with db.begin() as session:
        run = await session.get(ModelRun, run_id)
    assert run.status == RUN_OK, run.reason
    async with db.begin() as session:
        upcoming = list(await session.scalars(select(Salon.id).where(Salon.starts_at > utcnow())))
    for salon_id in upcoming:
        scores = await score_salon(db, config, salon_id)
        assert len(scores.candidates) == members
        assert all(math.isfinite(c.probability) and 0 <= c.probability <= 1
                   for c in scores.candidates)  # fmt: skip
    try:
        report = await evaluate_communities(db, config, [COMMUNITY_ID])
    except NotEnoughData as error:
        assert str(error)
    else:
        assert report["model"]["auc"] is None or 0 <= report["model"]["auc"] <= 1


async def test_huge_counts_and_future_messages_train_to_finite_scores(db, db_url, tmp_path):
    config = _config(db_url, tmp_path)
    await _community(db, 12, "x" * 50, [-20, -10, -5, 3], {1, 2, 3})
    now = utcnow()
    absurd = [
        MessageEvent(
            COMMUNITY_ID,
            5000,
            now - timedelta(days=2, seconds=i),
            "text",
            2_000_000_000,
            900_000 + i,
            source="csv",
        )
        for i in range(5)
    ]
    absurd.append(
        MessageEvent(
            COMMUNITY_ID, 5001, now + timedelta(days=300), "text", 5, 990_000, source="csv"
        )
    )  # a clock far in the future
    async with db.begin() as session:
        await add_activity(absurd, session=session)
    run_id = await train_community(db, config, COMMUNITY_ID)
    async with db.begin() as session:
        assert (await session.get(ModelRun, run_id)).status == RUN_OK
        [salon_id] = await session.scalars(select(Salon.id).where(Salon.starts_at > now))
    scores = await score_salon(db, config, salon_id)
    assert all(math.isfinite(c.probability) and 0 <= c.probability <= 1
               for c in scores.candidates)  # fmt: skip
