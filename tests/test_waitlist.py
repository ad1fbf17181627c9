"""Capacity and the waitlist: first come, offers of freed seats, claims, lapses, races."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select, update

from bot.jobs import waitlist_job
from bot.outbox.dispatcher import Dispatcher, dispatch_once
from storage.models import OutboxMessage, Salon, Signup
from storage.types import utcnow
from tests.salon_helpers import job_context, make_salon, member
from tests.updates import callback, message


async def _state(db, salon_id):
    async with db.begin() as session:
        rows = await session.scalars(
            select(Signup).where(Signup.salon_id == salon_id).order_by(Signup.id)
        )
        salon = await session.get(Salon, salon_id)
        return [(s.user_id, s.status) for s in rows], salon.going_count


async def _outbox(db):
    async with db.begin() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return list(rows)


async def test_full_salon_waitlists_then_offers_freed_seat_to_first_in_line(
    app, fake_request, db, config
):
    salon = await make_salon(db, capacity=1)
    first, second, third = member(2001), member(2002, "zh"), member(2003)
    for user in (first, second, third):
        await app.process_update(message(f"/join {salon.short_code}", user, bot=app.bot))
    assert fake_request.sent_texts(2002)[0].startswith(
        "「Reading night 读书夜」已满，你已进入候补名单：排第 1 位"
    )
    assert "number 2 in line" in fake_request.sent_texts(2003)[0]
    assert fake_request.calls_to("sendDocument", chat_id=2002) == []
    await app.process_update(message(f"/leave {salon.short_code}", first, bot=app.bot))
    assert await _state(db, salon.id) == (
        [(2001, "left"), (2002, "offered"), (2003, "waitlist")],
        1,
    )
    [offer] = await _outbox(db)
    assert (offer.kind, offer.chat_id, offer.status) == ("offer", 2002, "pending")
    assert await dispatch_once(app.bot, db, Dispatcher(config.messaging)) == 1
    [sent] = fake_request.calls_to("sendMessage", chat_id=2002)[1:]
    assert sent.params["text"].startswith("好消息：「Reading night 读书夜」")
    assert sent.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"C:{salon.id}"
    # Someone else pressing the claim button gets nothing.
    await app.process_update(callback(f"C:{salon.id}", third, bot=app.bot))
    assert fake_request.sent_texts(2003)[-1] == "There is no seat offered to you for this salon."
    await app.process_update(callback(f"C:{salon.id}", second, bot=app.bot))
    await app.process_update(callback(f"C:{salon.id}", second, bot=app.bot))
    texts = fake_request.sent_texts(2002)
    assert texts[-2].startswith("名额是你的了！到时见。") and texts[-1] == "你已经报名了这场沙龙。"
    assert len(fake_request.calls_to("sendDocument", chat_id=2002)) == 1
    assert await _state(db, salon.id) == ([(2001, "left"), (2002, "going"), (2003, "waitlist")], 1)


async def test_lapsed_offer_passes_on_and_ticks_are_idempotent(app, fake_request, db):
    salon = await make_salon(db, capacity=1)
    users = [member(3001), member(3002), member(3003)]
    for user in users:
        await app.process_update(message(f"/join {salon.short_code}", user, bot=app.bot))
    await app.process_update(callback(f"L:{salon.id}", users[0], bot=app.bot))
    async with db.begin() as session:
        await session.execute(
            update(Signup)
            .where(Signup.user_id == 3002)
            .values(offer_expires_at=utcnow() - timedelta(minutes=1))
        )
    await app.process_update(callback(f"C:{salon.id}", users[1], bot=app.bot))
    assert fake_request.sent_texts(3002)[-1].startswith("Sorry, this offer has expired")
    await waitlist_job(job_context(app))
    await waitlist_job(job_context(app))
    assert await _state(db, salon.id) == ([(3001, "left"), (3002, "left"), (3003, "offered")], 1)
    keys = sorted(row.dedupe_key.split(":")[0] for row in await _outbox(db))
    assert keys == ["offer", "offer", "offer-lapsed"]
    lapsed = next(r for r in await _outbox(db) if r.dedupe_key.startswith("offer-lapsed"))
    assert lapsed.chat_id == 3002 and f"/join {salon.short_code}" in lapsed.payload["text"]


async def test_raised_capacity_offers_seats_to_the_waitlist(app, db):
    salon = await make_salon(db, capacity=1)
    for user in (member(4001), member(4002), member(4003)):
        await app.process_update(message(f"/join {salon.short_code}", user, bot=app.bot))
    async with db.begin() as session:
        await session.execute(update(Salon).where(Salon.id == salon.id).values(capacity=2))
    await waitlist_job(job_context(app))
    assert await _state(db, salon.id) == (
        [(4001, "going"), (4002, "offered"), (4003, "waitlist")],
        2,
    )


async def test_two_hundred_simultaneous_joins_for_fifty_seats(app, fake_request, db):
    salon = await make_salon(db, capacity=50)
    users = [member(5000 + i) for i in range(200)]
    updates = [message(f"/join {salon.short_code}", u, bot=app.bot) for u in users]
    # All 200 run at once through the real handlers (one session each, racing for the seats).
    await asyncio.gather(*(app.process_update(u) for u in updates))
    rows, going_count = await _state(db, salon.id)
    statuses = [status for _user, status in rows]
    assert going_count == 50 and len(rows) == 200 and len({u for u, _s in rows}) == 200
    # Seats went to the first 50 signups (by id), everyone after waits in that order.
    assert statuses == ["going"] * 50 + ["waitlist"] * 150
    async with db.begin() as session:
        stored = await session.scalar(select(Salon.going_count).where(Salon.id == salon.id))
        held = await session.scalar(
            select(func.count()).where(Signup.salon_id == salon.id, Signup.status == "going")
        )
    assert stored == held == 50
    for position, (user_id, _status) in enumerate(rows[50:], start=1):
        [text] = fake_request.sent_texts(user_id)
        assert f"number {position} in line" in text
    for user_id, _status in rows[:50]:
        [text] = fake_request.sent_texts(user_id)
        assert text.startswith("You are in!")
    assert not any("went wrong" in t or "try again shortly" in t for t in fake_request.sent_texts())
