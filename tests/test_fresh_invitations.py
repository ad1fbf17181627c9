"""Queued invitations are written when they are sent: current time, place and seats, or
withdrawn when the salon is full, cancelled or past its signup deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.outbox.dispatcher import dispatch_once
from bot.salons.member_texts import when
from storage.models import Salon
from storage.models.campaigns import INV_CANCELLED, INV_SENT
from storage.models.outbox import CANCELLED, SENT
from storage.models.salons import SALON_CANCELLED
from storage.types import utcnow
from tests.campaign_helpers import Member, invitations_of, seed_members
from tests.conftest import make_config
from tests.organizer import buttons, last_call, outbox_rows
from tests.salon_helpers import make_salon
from tests.updates import ORGANIZER, callback_query, message

ME = ORGANIZER["id"]
MEMBERS = [Member(u, 0.5, "core", "zh" if u % 2 else "en") for u in range(3001, 3007)]


@pytest.fixture
def config(db_url):
    return make_config(db_url, messaging={"quiet_hours_start": "00:00", "quiet_hours_end": "00:00",
                                          "global_rate_per_second": 30})  # fmt: skip


async def _queue_invitations(app, fake_request, db, **salon_fields):
    salon = await make_salon(db, capacity=10, **salon_fields)
    await seed_members(db, salon, MEMBERS)
    await app.process_update(message(f"/invite {salon.short_code}", ORGANIZER, bot=app.bot))
    send = buttons(last_call(fake_request, ME))["✅ Send invitations"]
    await app.process_update(callback_query(send, ORGANIZER, bot=app.bot))
    queued = [r for r in await outbox_rows(db) if r.kind == "invitation"]
    assert queued
    return salon, queued


async def _change(db, salon_id, **values):
    async with db.begin() as session:
        salon = await session.get(Salon, salon_id)
        for key, value in values.items():
            setattr(salon, key, value)
    async with db.begin() as session:
        return await session.get(Salon, salon_id)


async def _send_all(app, db):
    for _ in range(3):
        await dispatch_once(app.bot, db, app.bot_data.dispatcher)


def _invitation_texts(fake_request) -> dict[int, str]:
    return {c.params["chat_id"]: c.params["text"] for c in fake_request.calls_to("sendMessage")
            if c.params["chat_id"] != ME}  # fmt: skip


async def test_an_invitation_sent_after_an_edit_carries_the_new_time_place_and_seats(
    app, config, fake_request, db
):
    salon, queued = await _queue_invitations(app, fake_request, db)
    old_time = when(config, salon, "en")
    salon = await _change(db, salon.id, starts_at=salon.starts_at + timedelta(days=1),
                          location="上海市徐汇区天钥桥路 100 号", going_count=7)  # fmt: skip
    await _send_all(app, db)
    texts = _invitation_texts(fake_request)
    assert set(texts) == {r.chat_id for r in queued}
    for user_id, text in texts.items():
        language = "zh" if user_id % 2 else "en"
        assert when(config, salon, language) in text and old_time not in text
        assert "天钥桥路 100 号" in text and "Café Lumen" not in text
        assert ("剩余名额：3" if language == "zh" else "Seats left: 3") in text
        assert "uri.amap.com" in text if language == "zh" else "openstreetmap.org" in text
    rows = {r.chat_id: r for r in await outbox_rows(db)}
    assert all(rows[u].status == SENT and "天钥桥路" in rows[u].payload["text"] for u in texts)
    sent = [i for i in await invitations_of(db, salon.id) if not i.holdout]
    assert {i.status for i in sent} == {INV_SENT}


@pytest.mark.parametrize("why", ["full", "cancelled", "deadline", "started"])
async def test_pending_invitations_are_withdrawn_when_the_salon_closes(app, fake_request, db, why):
    salon, queued = await _queue_invitations(app, fake_request, db)
    change = {
        "full": {"going_count": 10},
        "cancelled": {"status": SALON_CANCELLED},
        "deadline": {"signup_deadline": utcnow() - timedelta(minutes=1)},
        "started": {"starts_at": utcnow() - timedelta(minutes=1)},
    }[why]
    await _change(db, salon.id, **change)
    await _send_all(app, db)
    assert _invitation_texts(fake_request) == {}
    assert {r.status for r in await outbox_rows(db) if r.kind == "invitation"} == {CANCELLED}
    sent = [i for i in await invitations_of(db, salon.id) if not i.holdout]
    assert {i.status for i in sent} == {INV_CANCELLED}
