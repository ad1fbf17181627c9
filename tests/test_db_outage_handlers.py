"""Handlers and jobs while the database is unreachable: members are told, jobs log one line."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from storage.db import create_engine, session_factory
from storage.feedback import add_poll
from storage.models import Signup
from storage.signups import add_signup
from tests.private_pg import free_port
from tests.salon_helpers import make_salon, make_users
from tests.updates import COMMUNITY_ID, EN_USER, ZH_USER, callback, message, poll_answer

TRY_AGAIN_EN = "I cannot reach my database for a moment. Please try again shortly."
TRY_AGAIN_ZH = "我暂时连不上数据库，请稍后再试。"


@pytest.fixture(params=["sqlite-missing", "postgresql-refused"])
async def unreachable(request, tmp_path):
    """A session factory for a database that is not there (a missing file, a closed port)."""
    if request.param == "sqlite-missing":
        url = f"sqlite+aiosqlite:///{tmp_path}/no/such/dir/salonbot.db"
    else:
        url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/salonbot"
    engine = create_engine(url)
    yield session_factory(engine)
    await engine.dispose()


async def test_members_are_asked_to_try_again_in_their_language(
    app, fake_request, db, unreachable, caplog
):
    salon = await make_salon(db)
    app.bot_data.db = unreachable
    with caplog.at_level(logging.WARNING):
        await app.process_update(message(f"/join {salon.short_code}", EN_USER, bot=app.bot))
        await app.process_update(message("/events", ZH_USER, bot=app.bot))
        await app.process_update(callback(f"J:{salon.id}", EN_USER, bot=app.bot))
    assert fake_request.sent_texts(EN_USER["id"]) == [TRY_AGAIN_EN]
    assert fake_request.sent_texts(ZH_USER["id"]) == [TRY_AGAIN_ZH]
    [answer] = fake_request.calls_to("answerCallbackQuery")
    assert answer.params["text"] == TRY_AGAIN_EN and answer.params["show_alert"] is True
    assert "update " in caplog.text and "Traceback" not in caplog.text  # an outage, not a bug

    app.bot_data.db = db  # the database is back: the same command works, nothing was kept
    await app.process_update(message(f"/join {salon.short_code}", EN_USER, bot=app.bot))
    assert fake_request.sent_texts(EN_USER["id"])[-1].startswith("You are in!")
    async with db.begin() as session:
        assert (await session.scalars(select(Signup.user_id))).all() == [EN_USER["id"]]


async def test_a_failing_job_logs_one_line_a_minute_not_a_traceback_a_tick(app, caplog):
    [job] = app.job_queue.get_jobs_by_name("reminders_job")
    with caplog.at_level(logging.WARNING):
        for _ in range(5):
            await app.process_error(None, ConnectionRefusedError(111, "refused"), job=job)
    lines = [r for r in caplog.records if "database unavailable" in r.getMessage()]
    assert len(lines) == 1 and lines[0].getMessage().startswith("reminders_job: database")
    assert lines[0].exc_info is None
    caplog.clear()
    with caplog.at_level(logging.ERROR):  # any other failure keeps its traceback
        await app.process_error(None, ValueError("a bug"), job=job)
    assert caplog.records[-1].exc_info is not None


async def test_a_poll_answer_during_an_outage_is_stored_when_the_database_is_back(
    app, fake_request, db, unreachable
):
    await make_users(db, [EN_USER])
    salon = await make_salon(db)
    async with db.begin() as session:
        await add_signup(salon.id, EN_USER["id"], session=session)
        await add_poll("poll-1", session=session, salon_id=salon.id, user_id=EN_USER["id"],
                       message_id=77)  # fmt: skip
    app.bot_data.db = unreachable
    update = poll_answer("poll-1", EN_USER, [3], bot=app.bot)
    await app.process_update(update)
    assert fake_request.sent_texts() == []  # nobody to tell: it is kept for later instead
    assert app.bot_data.replays == {update.update_id: 1}

    async def replay() -> None:  # what the job queue does when the replay is due
        [job] = app.job_queue.get_jobs_by_name(f"replay_{update.update_id}")
        job.schedule_removal()
        await job.run(app)

    await replay()  # still down: tried again later
    assert app.bot_data.replays == {update.update_id: 2}
    app.bot_data.db = db
    await replay()
    assert not app.job_queue.get_jobs_by_name(f"replay_{update.update_id}")
    assert app.bot_data.replays == {}
    async with db.begin() as session:
        [rating] = (await session.scalars(select(Signup.rating))).all()
    assert rating == 4
    assert fake_request.sent_texts(EN_USER["id"])[0].startswith("Thank you for rating!")


async def test_group_admins_are_still_organizers_while_the_database_is_away(
    app, fake_request, unreachable
):
    fake_request.api.admins[COMMUNITY_ID] = [EN_USER["id"]]
    app.bot_data.db = unreachable
    for _ in range(2):  # the second answer comes from this process's own copy
        await app.process_update(message("/help", EN_USER, bot=app.bot))
    texts = fake_request.sent_texts(EN_USER["id"])
    assert len(texts) == 2 and all("For organizers:" in t for t in texts)
    assert len(fake_request.calls_to("getChatAdministrators")) == 1
