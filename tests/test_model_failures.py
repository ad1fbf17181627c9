"""A nightly training that fails is recorded, keeps the previous model, and /stats says why."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.common.context import Context
from bot.jobs import nightly_training_job
from storage.models import ModelRun
from storage.models.runs import RUN_FAILED, RUN_OK
from storage.runs import get_latest_run
from tests.conftest import make_config, started_app
from tests.organizer import ZH_ORGANIZER
from tests.stats_helpers import seed_community
from tests.updates import COMMUNITY_ID, ORGANIZER, message


def _failing_config(db_url, tmp_path):
    """A real failure: the model folder is a file, so no model can be saved."""
    blocker = tmp_path / "models"
    blocker.write_text("not a folder")
    return make_config(db_url, models={"model_dir": str(blocker)})


@pytest.mark.parametrize(
    ("user", "failed", "kept"),
    [
        (ORGANIZER, "⚠️ The last training (", "The previous model stays in use."),
        (ZH_ORGANIZER, "⚠️ 最近一次模型训练（", "继续使用之前的模型。"),
    ],
)
async def test_a_failed_nightly_run_keeps_the_model_and_stats_show_why(
    fake_request, db, db_url, tmp_path, caplog, user, failed, kept
):
    await seed_community(db)
    async with db.begin() as session:
        previous = await get_latest_run(COMMUNITY_ID, session=session)
    async with started_app(_failing_config(db_url, tmp_path), fake_request) as app:
        await nightly_training_job(Context(app))
        assert "training failed for community" in caplog.text
        async with db.begin() as session:
            runs = (await session.execute(select(ModelRun.status, ModelRun.reason)
                                          .order_by(ModelRun.id))).all()  # fmt: skip
            assert [status for status, _ in runs] == [RUN_OK, RUN_FAILED]
            assert runs[-1].reason.startswith(("FileExistsError", "NotADirectoryError"))
            assert (await get_latest_run(COMMUNITY_ID, session=session)).id == previous.id
        await app.process_update(message("/stats", user, bot=app.bot))
    (text,) = fake_request.sent_texts(user["id"])
    assert failed in text and kept in text and "Error" in text
    assert "AUC" in text, "the previous model's figures are still shown"


async def test_a_failure_before_any_model_says_none_is_in_use(fake_request, db_url, tmp_path):
    async with started_app(_failing_config(db_url, tmp_path), fake_request) as app:
        await nightly_training_job(Context(app))
        await app.process_update(message("/stats", ORGANIZER, bot=app.bot))
    (text,) = fake_request.sent_texts(ORGANIZER["id"])
    assert "failed:" in text and "No model is in use yet." in text
    assert "No model run yet" not in text
