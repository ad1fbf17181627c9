"""Nothing leaks: export cells, stored Bot API errors, SQL parameters, odd profiles."""

from __future__ import annotations

import csv
import io
import logging
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from storage.db import create_engine
from storage.memberships import Sighting, upsert_memberships
from storage.models import OutboxMessage, Signup, User
from storage.outbox import mark_failed
from storage.redaction import redact_error
from storage.types import utcnow
from storage.users import UserInfo, mark_unreachable, upsert_user
from tests.salon_helpers import make_salon
from tests.updates import COMMUNITY_ID, ORGANIZER, message

TOKEN_URL = "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage"
NASTY = f"Bad Request: can't parse 'Call me at secret-text' for @zelda_q 1234567890 {TOKEN_URL}"


def test_redaction_keeps_the_kind_and_drops_the_rest():
    redacted = redact_error(NASTY)
    assert redacted.startswith("Bad Request: can")
    for secret in ("secret-text", "zelda_q", "1234567890", "AAHdqTcv", "api.telegram.org"):
        assert secret not in redacted
    assert redact_error("Forbidden: bot was blocked by the user") == (
        "Forbidden: bot was blocked by the user"
    )


async def test_bot_api_errors_are_redacted_before_they_are_stored(db):
    async with db.begin() as session:
        await upsert_user(UserInfo(7001, "Zed"), session=session)
        await mark_unreachable(7001, NASTY, session=session)
        row = OutboxMessage(kind="notice", chat_id=7001, user_id=7001, payload={"text": "hi"},
                            dedupe_key="k1", not_before=utcnow())  # fmt: skip
        session.add(row)
        await session.flush()
        await mark_failed(row.id, NASTY, session=session)
    async with db.begin() as session:
        reason = await session.scalar(select(User.dm_reason).where(User.id == 7001))
        error = await session.scalar(select(OutboxMessage.last_error))
    for stored in (reason, error):
        assert "secret-text" not in stored and "AAHdqTcv" not in stored and "zelda_q" not in stored


async def test_sql_parameters_never_reach_logs_or_errors(db_url, caplog):
    engine = create_engine(db_url, echo=True)
    try:
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
            async with engine.begin() as conn:
                await conn.execute(text("SELECT :member_text"), {"member_text": "secret-text-1"})
        assert "secret-text-1" not in caplog.text
        with pytest.raises(DBAPIError) as failure:
            async with engine.begin() as conn:
                await conn.execute(text("SELECT * FROM no_such_table WHERE x = :t"),
                                   {"t": "secret-text-2"})  # fmt: skip
        assert "secret-text-2" not in str(failure.value)
    finally:
        await engine.dispose()


async def test_export_cells_that_a_spreadsheet_would_run_are_neutralised(app, fake_request, db):
    salon = await make_salon(db, title="=HYPERLINK(\"http://evil\",\"x\")",
                             starts_in=timedelta(days=-2))  # fmt: skip
    async with db.begin() as session:
        for user_id, name, comment in [
            (7101, "=cmd|' /C calc'!A0", "+SUM(A1)"),
            (7102, "@SUM(1)", "-2+3"),
            (7103, "\tTab", "\rCR"),
        ]:
            await upsert_user(UserInfo(user_id, name), session=session)
            await upsert_memberships([Sighting(COMMUNITY_ID, user_id, utcnow(), utcnow())],
                                     session=session)  # fmt: skip
            session.add(Signup(salon_id=salon.id, user_id=user_id, status="going",
                               rating=5, comment=comment))  # fmt: skip
    await app.process_update(message("/export", ORGANIZER, bot=app.bot))
    docs = {c.params["document"]["filename"]: c.params["document"]["data"]
            for c in fake_request.calls_to("sendDocument")}  # fmt: skip
    cells = [
        value
        for data in docs.values()
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        for value in row
    ]
    dangerous = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == []
    assert "'=cmd|' /C calc'!A0" in cells and "'+SUM(A1)" in cells and "'\nCR" in cells


async def test_a_nul_or_overlong_language_code_breaks_no_command(app, fake_request, db):
    for user_id, code in [(7201, "en\x00"), (7202, "x" * 40), (7203, "zh-hans")]:
        user = {"id": user_id, "is_bot": False, "first_name": "N\x00ul", "language_code": code}
        await app.process_update(message("/start", user, bot=app.bot))
        await app.process_update(message("/events", user, bot=app.bot))
        assert len(fake_request.sent_texts(user_id)) == 2
    async with db.begin() as session:
        rows = dict((await session.execute(select(User.id, User.language_code))).tuples().all())
        names = set(await session.scalars(select(User.first_name)))
    assert rows == {7201: None, 7202: None, 7203: "zh-hans"} and names == {"Nul"}
