"""Paying when things fail: a database outage while recording, two processes settling one
charge, an invoice Telegram refuses (real PTB updates through the fake Bot API)."""

from __future__ import annotations

import asyncio

from bot.seats.invoices import verify_payload
from storage.models.payments import PAID
from tests.payment_helpers import invoices, join, paid_salon, pay, payments, signups
from tests.salon_helpers import member
from tests.updates import successful_payment

ALICE = member(3001)


async def test_a_payment_is_recorded_through_a_short_database_outage(
    app, fake_request, db, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    import bot.seats.service as handler

    real, failures = handler.settle_payment, []

    async def flaky(*args, **kwargs):
        if len(failures) < 2:
            failures.append(1)
            raise OperationalError("INSERT", {}, ConnectionError("server closed the connection"))
        return await real(*args, **kwargs)

    monkeypatch.setattr(handler, "settle_payment", flaky)
    monkeypatch.setattr(handler, "SETTLE_RETRY_SECONDS", (0.0, 0.0, 0.0, 0.0))
    salon = await paid_salon(db, capacity=1)
    await join(app, ALICE, salon)
    [invoice] = invoices(fake_request, ALICE)
    await pay(app, ALICE, invoice, "charge-outage")
    assert len(failures) == 2
    assert [p.telegram_payment_charge_id for p in await payments(db)] == ["charge-outage"]
    assert await signups(db, salon.id) == ([(3001, "going")], 1)
    assert fake_request.sent_texts(3001)[-1].startswith("Payment received")


async def test_a_payment_that_outlasts_the_retries_is_replayed_until_recorded(
    app, fake_request, db, monkeypatch
):
    from sqlalchemy.exc import OperationalError

    import bot.seats.service as handler

    real, down = handler.settle_payment, [True]

    async def unreachable(*args, **kwargs):
        if down[0]:
            raise OperationalError("INSERT", {}, ConnectionError("server closed the connection"))
        return await real(*args, **kwargs)

    monkeypatch.setattr(handler, "settle_payment", unreachable)
    monkeypatch.setattr(handler, "SETTLE_RETRY_SECONDS", (0.0,))
    salon = await paid_salon(db, capacity=1)
    await join(app, ALICE, salon)
    [invoice] = invoices(fake_request, ALICE)
    sent_before = len(fake_request.sent_texts(3001))
    update = successful_payment(ALICE, invoice, "charge-long", bot=app.bot)
    app.bot.request.api.add_star_charge("charge-long", ALICE["id"], 50)
    await app.process_update(update)  # Telegram sends it once: it must not be dropped
    assert await payments(db) == []
    # Not "try again": the member paid already, and paying again would charge them twice.
    assert len(fake_request.sent_texts(3001)) == sent_before
    [job] = app.job_queue.get_jobs_by_name(f"replay_{update.update_id}")
    down[0] = False  # the database is back when the replay is due
    job.schedule_removal()
    await job.run(app)
    assert [p.telegram_payment_charge_id for p in await payments(db)] == ["charge-long"]
    assert await signups(db, salon.id) == ([(3001, "going")], 1)
    assert fake_request.sent_texts(3001)[-1].startswith("Payment received")
    assert app.bot_data.replays == {}


async def test_two_processes_settling_one_charge_at_once_record_it_once(app, fake_request, db):
    from storage.holds import PaymentIn, settle_payment

    salon = await paid_salon(db, capacity=1)
    await join(app, ALICE, salon)
    [invoice] = invoices(fake_request, ALICE)
    ref = verify_payload(app.bot_data.config.telegram.token, invoice["payload"])

    async def settle(ref_or_none):  # each in its own transaction, as two processes would
        async with db.begin() as session:
            paid = PaymentIn(ref_or_none, ALICE["id"], "XTR", 50, "charge-twice")
            return (await settle_payment(paid, session=session)).outcome

    outcomes = await asyncio.gather(settle(ref), settle(ref), settle(None), settle(None))
    assert sorted(outcomes).count("duplicate") == 3
    assert [p.telegram_payment_charge_id for p in await payments(db)] == ["charge-twice"]


async def test_a_refused_invoice_releases_the_hold_but_never_a_seat_paid_meanwhile(
    app, fake_request, db, monkeypatch
):
    import bot.seats.replies as signup_handlers

    salon = await paid_salon(db, capacity=1, price=50)
    fake_request.api.fail("sendInvoice", 400, "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID",
                          times=1)  # fmt: skip
    await join(app, ALICE, salon)  # Telegram refuses the invoice: the hold goes at once
    assert await signups(db, salon.id) == ([(3001, "left")], 0)
    assert "could not create the invoice" in fake_request.sent_texts(3001)[-1]

    await join(app, ALICE, salon)
    [*_, first] = invoices(fake_request, ALICE)
    real_send = signup_handlers.send_invoice

    async def paid_while_sending(*args, **kwargs):  # the member pays the first invoice while
        await pay(app, ALICE, first, "charge-race")  # a second one is being sent, which fails
        return False

    monkeypatch.setattr(signup_handlers, "send_invoice", paid_while_sending)
    await join(app, ALICE, salon)
    monkeypatch.setattr(signup_handlers, "send_invoice", real_send)
    assert await signups(db, salon.id) == ([(3001, "going")], 1)  # the paid seat stays
    [payment] = await payments(db)
    assert (payment.status, payment.telegram_payment_charge_id) == (PAID, "charge-race")
    assert not any("seat was released" in t for t in fake_request.sent_texts(3001)[-2:])
