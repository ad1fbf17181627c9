"""Model runs, segments and scores on every backend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.models.runs import RUN_FAILED, RUN_OK
from storage.runs import (
    add_run,
    count_segments,
    finish_run,
    get_latest_run,
    get_scores,
    get_segments,
    replace_scores,
    replace_segments,
)
from storage.salons import NewSalon, add_salon
from storage.users import CommunityInfo, UserInfo, upsert_communities, upsert_user


async def test_runs_segments_and_scores(db):
    start = datetime.now(UTC)
    async with db.begin() as session:
        await upsert_communities([CommunityInfo(-1, "c", "UTC", "en")], session=session)
        for uid in (1, 2, 3):
            await upsert_user(UserInfo(uid, "u"), session=session)
        salon = await add_salon(NewSalon(-1, "s", start + timedelta(days=2), 10), session=session)
        ok = await add_run(-1, {"seed": 1}, session=session)
        await finish_run(ok.id, session=session, status=RUN_OK, started_at=start, kind="prior",
                         reason="too little history", rows=3, metrics={"auc": 0.7})  # fmt: skip
        await replace_segments(-1, ok.id, {1: "core", 2: "lurkers", 3: "lurkers"}, session=session)
        await replace_scores(salon.id, ok.id, [(1, 0.9), (2, 0.1)], session=session)
        failed = await add_run(-1, {}, session=session)
        await finish_run(failed.id, session=session, status=RUN_FAILED, started_at=start,
                         reason="boom")  # fmt: skip
    async with db.begin() as session:
        latest = await get_latest_run(-1, session=session)
        assert latest.id == ok.id and latest.kind == "prior" and latest.metrics == {"auc": 0.7}
        assert latest.duration_seconds >= 0
        assert (await get_latest_run(-1, session=session, status=None)).id == failed.id
        assert await count_segments(-1, session=session) == {"core": 1, "lurkers": 2}
        await replace_segments(-1, ok.id, {3: "core"}, session=session)
        assert await get_segments(-1, session=session) == {3: "core"}
        assert await get_scores(salon.id, session=session) == {1: 0.9, 2: 0.1}
