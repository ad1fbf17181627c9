"""Property-based: train, evaluate and score finish on any small history (SQLite and PG).

Hypothesis generates small communities (members, messages with texts, salons in the past
and the future, signups) through the same storage functions the importers use, each in a
community of its own in one database. Every run must end with probabilities that are finite
and in [0, 1], or a clear "not enough data" answer, never a crash.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from datetime import timedelta

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.models.training import NotEnoughData, evaluate_communities, score_salon, train_community
from storage.activity import add_activity
from storage.db import create_engine, session_factory
from storage.events import MemberEvent, MessageEvent
from storage.importers.common import ensure_community
from storage.importers.salons import import_events, import_signups
from storage.models import ModelRun, Salon
from storage.models.activity import JOIN
from storage.models.runs import RUN_OK
from storage.types import utcnow
from tests.conftest import make_config

EXAMPLES = 20  # generated histories per backend (about 20 s of CPU on SQLite)
TEXTS = ["hello everyone", "hello everyone", "", "  ", "读书会", "a", "?" * 300, "AI agents"]
TAGS = ["", "books", "ai;startups", "books;books", "设计"]
ANSWERS = [("", ""), ("yes", ""), ("no", ""), ("waitlist", ""), ("yes", "1"), ("yes", "0")]
_communities = itertools.count(1)

member_count = st.integers(min_value=1, max_value=6)
messages = st.lists(
    st.tuples(st.integers(0, 5), st.integers(-90, 10), st.sampled_from(TEXTS),
              st.sampled_from([None, 0, 10**9])),
    max_size=12,
)  # fmt: skip
salons = st.lists(
    st.tuples(st.integers(-60, 30), st.sampled_from(TAGS), st.sampled_from([None, 1, 3, 1000]),
              st.lists(st.sampled_from(ANSWERS),
                       min_size=6, max_size=6)),
    max_size=6,
)  # fmt: skip
identical = st.booleans()  # every member writes the same text


def _history_events(cid, n, msgs, same_text, now):
    events = [MemberEvent(cid, 1000 + i, now - timedelta(days=120), JOIN, source="csv")
              for i in range(n)]  # fmt: skip
    for number, (who, day, text, length) in enumerate(msgs):
        text = TEXTS[0] if same_text else text
        events.append(MessageEvent(
            cid, 1000 + who % n, now + timedelta(days=day, seconds=number), "text",
            len(text) if length is None else length, cid * 100 + number, text=text or None,
            source="export",
        ))  # fmt: skip
    return events


async def _write(db, cid, n, msgs, same_text, plans, now):
    async with db.begin() as session:
        await ensure_community(cid, f"c{cid}", session=session)
        await add_activity(_history_events(cid, n, msgs, same_text, now), session=session,
                           store_text=True, text_since=None)  # fmt: skip
        events, signups = [], []
        for number, (day, tags, capacity, answers) in enumerate(plans):
            starts = now + timedelta(days=day, hours=number)
            source = f"c{cid}-e{number}"
            events.append({"event_id": source, "community_id": str(cid), "title": f"s{number}",
                           "starts_at": starts.isoformat(), "tags": tags,
                           "capacity": "" if capacity is None else str(capacity)})  # fmt: skip
            for who, (answer, attended) in enumerate(answers[:n]):
                if answer:
                    signups.append({"event_id": source, "user_id": str(1000 + who),
                                    "response": answer,
                                    "responded_at": (starts - timedelta(days=2)).isoformat(),
                                    "attended": attended if day < 0 else ""})  # fmt: skip
        await import_events(events, session=session)
        await import_signups(signups, session=session)


def _probabilities_ok(values) -> bool:
    return all(math.isfinite(p) and 0.0 <= p <= 1.0 for p in values)


async def _check(db_url, config, n, msgs, same_text, plans) -> None:
    cid = -(10**12) - next(_communities)
    now = utcnow()
    engine = create_engine(db_url)
    try:
        db = session_factory(engine)
        await _write(db, cid, n, msgs, same_text, plans, now)
        run_id = await train_community(db, config, cid)
        async with db.begin() as session:
            run = await session.get(ModelRun, run_id)
            assert run.status == RUN_OK, run.reason
            upcoming = list(await session.scalars(
                select(Salon.id).where(Salon.community_id == cid, Salon.starts_at >= now)
            ))  # fmt: skip
        for salon_id in upcoming:
            scores = await score_salon(db, config, salon_id)
            assert _probabilities_ok(c.probability for c in scores.candidates)
            assert len(scores.candidates) <= n
            assert all(math.isfinite(x) for x in scores.expected)
        try:
            report = await evaluate_communities(db, config, [cid])
        except NotEnoughData as error:
            assert str(error)
        else:
            assert 0 < report["positives"] < report["pairs"]
            brier = report["model"]["brier"]
            assert brier is None or 0.0 <= brier <= 1.0
    finally:
        await engine.dispose()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same histories on every run: a red run is repeatable
    database=None,
    phases=[Phase.explicit, Phase.generate],  # shrinking a slow example takes minutes
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(n=member_count, msgs=messages, same_text=identical, plans=salons)
def test_train_evaluate_score_finish_on_any_small_history(
    db_url, tmp_path, n, msgs, same_text, plans
):
    config = make_config(db_url, privacy={"store_text": True, "retention_days": 36500},
                         models={"model_dir": str(tmp_path / "models"),
                                 "min_past_salons": 1})  # fmt: skip
    asyncio.run(_check(db_url, config, n, msgs, same_text, plans))
