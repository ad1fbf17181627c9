"""Recurring salons: rules as typed in both languages, occurrences made ahead by an
idempotent tick, one occurrence or the whole series edited, the series stopped."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from bot.salons.series import extend_series
from bot.salons.series_rules import RuleError, describe, occurrences, parse_rule
from storage.models import OutboxMessage, Salon, SalonSeries
from storage.models.salons import GOING
from tests.organizer import ZH_ORGANIZER, alerts, buttons, last_call, stored_signup
from tests.updates import COMMUNITY_ID, EN_USER, ORGANIZER, callback_query, message

ME = ORGANIZER["id"]


SECOND_SAT = ("m:2:5", "14:00", "every 2nd Saturday 14:00", "每月第二个周六 14:00")
LAST_FRI = ("m:-1:4", "20:00", "every last Friday 20:00", "每月最后一个周五 20:00")


@pytest.mark.parametrize("text, rule, clock, en, zh", [
    ("every 2nd Saturday 14:00", *SECOND_SAT),
    ("Every wednesday 19:30", "w:2", "19:30", "every Wednesday 19:30", "每周三 19:30"),
    ("every last Fri 8:05", "m:-1:4", "08:05", "every last Friday 08:05", "每月最后一个周五 08:05"),
    ("每周三 19:30", "w:2", "19:30", "every Wednesday 19:30", "每周三 19:30"),
    ("每星期日 10：00", "w:6", "10:00", "every Sunday 10:00", "每周日 10:00"),
    ("每月第二个周六 14:00", *SECOND_SAT),
    ("每月最后一个周五 20:00", *LAST_FRI),
])  # fmt: skip
def test_rules_as_people_type_them(text, rule, clock, en, zh):
    assert parse_rule(text) == (rule, clock)
    assert describe(rule, clock, "en") == en and describe(rule, clock, "zh") == zh


@pytest.mark.parametrize("text", ["every day 10:00", "每周八 10:00", "every Monday 25:00", "soon"])
def test_rules_we_do_not_understand(text):
    with pytest.raises(RuleError):
        parse_rule(text)


def test_occurrences_in_the_communitys_timezone():
    after = datetime(2026, 12, 4, tzinfo=UTC)
    until = datetime(2027, 3, 1, tzinfo=UTC)
    second_saturdays = occurrences("m:2:5", "14:00", "Asia/Shanghai", after, until)
    assert second_saturdays == [datetime(2026, 12, 12, 6, tzinfo=UTC),
                                datetime(2027, 1, 9, 6, tzinfo=UTC),
                                datetime(2027, 2, 13, 6, tzinfo=UTC)]  # fmt: skip
    last_fridays = occurrences("m:-1:4", "20:00", "Asia/Shanghai", after, until)
    assert [d.day for d in last_fridays] == [25, 29, 26]
    wednesdays = occurrences(
        "w:2", "19:30", "Asia/Shanghai", after, datetime(2026, 12, 24, tzinfo=UTC)
    )
    assert [d.day for d in wednesdays] == [9, 16, 23]


async def _salons(db) -> list[Salon]:
    async with db.begin() as session:
        return list(await session.scalars(select(Salon).order_by(Salon.starts_at)))


async def _announcements(db) -> list[OutboxMessage]:
    async with db.begin() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "announcement")
        return list(await session.scalars(query))


async def test_a_series_makes_salons_ahead_idempotently_and_can_be_stopped(app, fake_request, db):
    say = message(
        "/series 读书会 | 每周三 19:30 | 12 | 静安区愚园路 68 号", ZH_ORGANIZER, bot=app.bot
    )
    await app.process_update(say)
    reply = last_call(fake_request, ME)
    assert reply.params["text"].startswith("系列 #1「读书会」（每周三 19:30）")
    salons = await _salons(db)
    assert len(salons) == 4  # the default window is 28 days
    assert all(s.series_id == 1 and s.status == "published" and s.capacity == 12 for s in salons)
    assert len({s.short_code for s in salons}) == 4  # each a salon of its own
    assert [r.chat_id for r in await _announcements(db)] == [COMMUNITY_ID] * 4
    assert await extend_series(db, app.bot_data.config, "bot") == 0  # idempotent
    config = app.bot_data.config.model_copy(
        update={"schedule": app.bot_data.config.schedule.model_copy(update={"series_days": 60})}
    )
    assert await extend_series(db, config, "bot") in (4, 5)  # the window moved on
    # Stop: no new ones; those made stay.
    await app.process_update(callback_query(buttons(reply)["⏹ 停止系列 #1"], ZH_ORGANIZER,
                                            bot=app.bot))  # fmt: skip
    assert fake_request.sent_texts(ME)[-1].startswith("系列 #1 已停止")
    async with db.begin() as session:
        assert (await session.get(SalonSeries, 1)).status == "stopped"
    config = config.model_copy(
        update={"schedule": config.schedule.model_copy(update={"series_days": 120})}
    )
    assert await extend_series(db, config, "bot") == 0
    await app.process_update(callback_query("O:ss:1", EN_USER, bot=app.bot))
    assert alerts(fake_request)[-1] == "Only organizers of a community can do that."


async def test_the_whole_series_gets_a_new_place_and_members_are_told(app, fake_request, db):
    await app.process_update(
        message(
            "/series Book club | every Wednesday 19:30 | 20 | Café Lumen", ORGANIZER, bot=app.bot
        )  # fmt: skip
    )
    first, *others = await _salons(db)
    await stored_signup(db, first.id, EN_USER, GOING)
    await app.process_update(message("/series", ORGANIZER, bot=app.bot))
    assert "#1 Book club · every Wednesday 19:30" in fake_request.sent_texts(ME)[-1]
    await app.process_update(message("/series 1 place 12 Rue de Rivoli", ORGANIZER, bot=app.bot))
    assert fake_request.sent_texts(ME)[-1] == (
        "Series #1: 4 upcoming salons changed; 1 signed-up members will be told."
    )
    assert {s.location for s in await _salons(db)} == {"12 Rue de Rivoli"}
    async with db.begin() as session:
        series = await session.get(SalonSeries, 1)
        [notice] = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == EN_USER["id"])
        )
    assert series.location == "12 Rue de Rivoli"
    assert notice.method == "sendDocument" and "SEQUENCE:1" in notice.payload["document"]["content"]
    # One occurrence is edited like any salon: the others keep the series' values.
    await app.process_update(callback_query(f"S:el:{others[0].id}", ORGANIZER, bot=app.bot))
    await app.process_update(message("Room 2, 12 Rue de Rivoli", ORGANIZER, bot=app.bot))
    assert [s.location for s in await _salons(db)].count("12 Rue de Rivoli") == 3
