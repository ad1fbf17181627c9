"""One fair seat each: an unpaid hold cannot be kept by joining again, and leaving a paid seat
after its refund deadline is confirmed first (real handlers, fake Bot API, both backends)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot import callbacks
from bot.jobs import waitlist_job
from storage.models import OutboxMessage
from tests.payment_helpers import end_holds, invoices, join, paid_salon, pay, signups
from tests.salon_helpers import job_context, member
from tests.updates import callback_query, message

ALICE, BO, CY = member(3001), member(3002, "zh"), member(3003)


async def offers_queued(db, user_id: int) -> int:
    async with db.begin() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.chat_id == user_id, OutboxMessage.kind == "offer"
            )
        )
        return len(list(rows))


async def test_joining_again_after_the_hold_ran_out_gives_the_seat_to_the_waitlist_first(
    app, fake_request, db
):
    salon = await paid_salon(db, capacity=1)
    await join(app, ALICE, salon)  # holds the last seat
    await join(app, CY, salon)  # waits
    await end_holds(db, salon.id)  # Alice did not pay; the waitlist tick has not run yet
    await join(app, ALICE, salon)
    # Cy is offered the seat (through the outbox); Alice queues behind Cy.
    assert await signups(db, salon.id) == ([(3003, "offered"), (3001, "waitlist")], 1)
    assert await offers_queued(db, CY["id"]) == 1
    assert len(invoices(fake_request, ALICE)) == 1  # no second invoice
    assert "waitlist" in fake_request.sent_texts(3001)[-1]
    # The tick afterwards finds nothing left to do for Alice's old hold.
    await waitlist_job(job_context(app))
    assert await signups(db, salon.id) == ([(3003, "offered"), (3001, "waitlist")], 1)


async def test_a_member_gets_a_bounded_number_of_holds_per_salon(app, fake_request, db):
    salon = await paid_salon(db, capacity=1)
    for _ in range(3):  # max_holds = 3: the first hold and two renewals
        await join(app, ALICE, salon)
        await end_holds(db, salon.id)
    assert len(invoices(fake_request, ALICE)) == 3
    await join(app, ALICE, salon)  # a fourth hold is refused and the seat released
    assert await signups(db, salon.id) == ([(3001, "left")], 0)
    assert len(invoices(fake_request, ALICE)) == 3
    assert "several times without payment" in fake_request.sent_texts(3001)[-1]
    # Leaving and joining again does not reset the count.
    await join(app, ALICE, salon)
    assert await signups(db, salon.id) == ([(3001, "left")], 0)
    # Someone else can take the seat.
    await join(app, CY, salon)
    assert await signups(db, salon.id) == ([(3001, "left"), (3003, "held")], 1)


async def test_the_count_of_holds_is_in_chinese_too(app, fake_request, db):
    salon = await paid_salon(db, capacity=1)
    for _ in range(4):
        await join(app, BO, salon)
        await end_holds(db, salon.id)
    assert "多次" in fake_request.sent_texts(3002)[-1]


async def paid_seat(app, db, user: dict, fake_request, **fields):
    salon = await paid_salon(db, capacity=2, **fields)
    await join(app, user, salon)
    [invoice] = invoices(fake_request, user)
    await pay(app, user, invoice, f"charge-{user['id']}")
    assert await signups(db, salon.id) == ([(user["id"], "going")], 1)
    return salon


async def test_leaving_a_paid_seat_after_the_refund_deadline_asks_first(app, fake_request, db):
    salon = await paid_seat(app, db, ALICE, fake_request, starts_in=timedelta(hours=5))
    await app.process_update(message(f"/leave {salon.short_code}", ALICE, bot=app.bot))
    assert await signups(db, salon.id) == ([(3001, "going")], 1)  # nothing changed yet
    asked = fake_request.calls_to("sendMessage", chat_id=3001)[-1].params
    assert "not refunded" in asked["text"]
    [[button]] = asked["reply_markup"]["inline_keyboard"]
    assert button["callback_data"] == callbacks.build(callbacks.LEAVE, "ok", salon.id)
    # "I can't come" (the L: button under a reminder) asks the same.
    await app.process_update(callback_query(callbacks.leave(salon.id), ALICE, bot=app.bot))
    assert await signups(db, salon.id) == ([(3001, "going")], 1)
    await app.process_update(callback_query(button["callback_data"], ALICE, bot=app.bot))
    assert await signups(db, salon.id) == ([(3001, "left")], 0)
    assert "refund deadline has passed" in fake_request.sent_texts(3001)[-1]


async def test_leaving_a_paid_seat_before_the_deadline_refunds_without_asking(
    app, fake_request, db
):
    salon = await paid_seat(app, db, BO, fake_request, starts_in=timedelta(days=3))
    await app.process_update(message(f"/leave {salon.short_code}", BO, bot=app.bot))
    assert await signups(db, salon.id) == ([(3002, "left")], 0)


async def test_a_forged_confirmation_for_someone_else_s_seat_changes_nothing(app, fake_request, db):
    salon = await paid_seat(app, db, ALICE, fake_request, starts_in=timedelta(hours=5))
    await app.process_update(
        callback_query(callbacks.build(callbacks.LEAVE, "ok", salon.id), CY, bot=app.bot)
    )
    assert await signups(db, salon.id) == ([(3001, "going")], 1)
    for data in ("L:ok:x", "L:ok", "L:ok:1:2", f"L:ok:{salon.id}:{salon.id}"):
        await app.process_update(callback_query(data, ALICE, bot=app.bot))
    assert await signups(db, salon.id) == ([(3001, "going")], 1)
