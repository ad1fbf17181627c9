"""Refunds: a cancelled paid salon refunds every payer, leaving before the deadline refunds,
failed refund calls are retried durably and reported; provider payments are listed."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.outbox.dispatcher import Dispatcher, dispatch_once
from bot.seats.refund_job import process_refunds
from storage.models import OutboxMessage
from storage.models.payments import MANUAL_REFUND, PAID, R_CANCELLED, R_LEFT, REFUND_DUE, REFUNDED
from storage.privacy import delete_user_data
from storage.types import utcnow
from tests.conftest import make_config, started_app
from tests.payment_helpers import invoices, join, paid_salon, pay, payments, signups
from tests.salon_helpers import member
from tests.updates import ORGANIZER, callback, message

ALICE, BO, CY = member(4001), member(4002, "zh"), member(4003)


async def _paid_by(app, fake_request, salon, *users) -> None:
    for index, user in enumerate(users):
        await join(app, user, salon)
        await pay(app, user, invoices(fake_request, user)[-1], f"ch-{salon.id}-{index}")


async def _outbox(db, chat_id: int) -> list[str]:
    async with db.begin() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        # Change notices are documents (the .ics) with a caption.
        return [row.payload.get("text") or row.payload["caption"] for row in rows]


async def test_cancelling_a_paid_salon_refunds_every_payer_in_stars(app, fake_request, db):
    salon = await paid_salon(db, capacity=5)
    await _paid_by(app, fake_request, salon, ALICE, BO)
    await join(app, CY, salon)  # holding a seat, not paid: nothing to refund
    await app.process_update(callback(f"S:X:{salon.id}", ORGANIZER, bot=app.bot))
    head = fake_request.calls_to("editMessageText")[-1].params["text"]
    assert "2 Stars payments are being refunded." in head
    assert {p.status for p in await payments(db)} == {REFUND_DUE}
    assert {p.refund_reason for p in await payments(db)} == {R_CANCELLED}
    assert await process_refunds(app.bot, db, app.bot_data.config) == 2
    calls = fake_request.calls_to("refundStarPayment")
    assert sorted((c.params["user_id"], c.params["telegram_payment_charge_id"]) for c in calls) == [
        (4001, f"ch-{salon.id}-0"), (4002, f"ch-{salon.id}-1")]  # fmt: skip
    assert {p.status for p in await payments(db)} == {REFUNDED}
    assert all(p.refunded_at is not None for p in await payments(db))
    # Nothing more to do: a second tick calls nothing.
    assert await process_refunds(app.bot, db, app.bot_data.config) == 0
    assert len(fake_request.calls_to("refundStarPayment")) == 2
    assert (await _outbox(db, 4002))[-1] == "↩️ 已退款 50 ⭐：「Reading night 读书夜」。"
    assert (await _outbox(db, 4001))[-1] == "↩️ Refunded 50 ⭐ for «Reading night 读书夜»."


async def test_leaving_before_the_deadline_refunds_and_after_it_does_not(app, fake_request, db):
    early = await paid_salon(db, capacity=3, starts_in=timedelta(days=3))
    late = await paid_salon(db, capacity=3, starts_in=timedelta(hours=5), title="Late")
    await _paid_by(app, fake_request, early, ALICE)
    await _paid_by(app, fake_request, late, ALICE)
    await app.process_update(message(f"/leave {early.short_code}", ALICE, bot=app.bot))
    assert fake_request.sent_texts(4001)[-1].endswith("Your payment of 50 ⭐ is being refunded.")
    await app.process_update(message(f"/leave {late.short_code}", ALICE, bot=app.bot))
    assert "Leave anyway?" in fake_request.sent_texts(4001)[-1]  # asked first
    await app.process_update(callback(f"L:ok:{late.id}", ALICE, bot=app.bot))
    assert fake_request.sent_texts(4001)[-1].endswith(
        "The refund deadline has passed, so your payment of 50 ⭐ is not refunded."
    )
    by_salon = {p.salon_id: p for p in await payments(db)}
    assert (by_salon[early.id].status, by_salon[early.id].refund_reason) == (REFUND_DUE, R_LEFT)
    assert by_salon[late.id].status == PAID
    assert await signups(db, early.id) == ([(4001, "left")], 0)
    await process_refunds(app.bot, db, app.bot_data.config)
    [call] = fake_request.calls_to("refundStarPayment")
    assert (
        call.params["telegram_payment_charge_id"] == by_salon[early.id].telegram_payment_charge_id
    )


async def test_a_failing_refund_is_retried_reported_once_and_never_lost(
    app, fake_request, db, config
):
    salon = await paid_salon(db, capacity=3)
    await _paid_by(app, fake_request, salon, ALICE)
    await app.process_update(callback(f"S:X:{salon.id}", ORGANIZER, bot=app.bot))
    fake_request.api.fail("refundStarPayment", 500, "Internal Server Error")
    now = utcnow()
    for attempt in range(1, 8):
        # Each try runs when the previous one's retry is due (well past any backoff).
        assert await process_refunds(app.bot, db, config, now=now + timedelta(hours=attempt)) == 0
    [payment] = await payments(db)
    assert (payment.status, payment.refund_attempts, payment.refund_reported) == (
        REFUND_DUE, 7, True)  # fmt: skip
    assert "Internal Server Error" in payment.refund_error
    assert payment.refund_next_at > now + timedelta(hours=7)  # still scheduled
    reports = [t for t in await _outbox(db, ORGANIZER["id"]) if t.startswith("⚠️")]
    # In the community's language (zh): the organizer never wrote to the bot as a member.
    [report] = reports
    assert "已失败 5 次" in report and "Internal Server Error" in report
    # Telegram recovers: the next due try goes through.
    fake_request.api.failures.clear()
    assert await process_refunds(app.bot, db, config, now=now + timedelta(days=1)) == 1
    [payment] = await payments(db)
    assert payment.status == REFUNDED


async def test_a_refund_that_went_through_unseen_counts_as_done(app, fake_request, db, config):
    salon = await paid_salon(db, capacity=3)
    await _paid_by(app, fake_request, salon, ALICE)
    await app.process_update(callback(f"S:X:{salon.id}", ORGANIZER, bot=app.bot))
    fake_request.api.fail("refundStarPayment", 400, "Bad Request: CHARGE_ALREADY_REFUNDED")
    assert await process_refunds(app.bot, db, config) == 1
    assert [p.status for p in await payments(db)] == [REFUNDED]


async def test_a_claimed_refund_is_not_picked_twice_while_in_flight(app, fake_request, db, config):
    salon = await paid_salon(db, capacity=3)
    await _paid_by(app, fake_request, salon, ALICE)
    await app.process_update(callback(f"S:X:{salon.id}", ORGANIZER, bot=app.bot))
    from storage.payments import claim_due_refunds

    async with db.begin() as session:
        assert len(await claim_due_refunds(10, session=session)) == 1
    # A crash here: the lease keeps it from a second tick until the lease ends, then retries.
    assert await process_refunds(app.bot, db, config) == 0
    assert await process_refunds(app.bot, db, config, now=utcnow() + timedelta(minutes=6)) == 1


async def test_provider_payments_are_listed_to_the_organizer_and_marked(db_url, db, fake_request):
    config = make_config(db_url, payments={"provider_token": "284685063:TEST:abc"})
    async with started_app(config, fake_request) as app:
        salon = await paid_salon(db, capacity=3, price=4990, currency="CNY")
        for index, user in enumerate((ALICE, BO)):
            await join(app, user, salon)
            await pay(app, user, invoices(fake_request, user)[-1], f"tg-{index}",
                      provider_payment_charge_id=f"prov-{index}")  # fmt: skip
        await app.process_update(callback(f"S:X:{salon.id}", ORGANIZER, bot=app.bot))
        head = fake_request.calls_to("editMessageText")[-1].params["text"]
        assert "2 provider payments must be refunded by you" in head
        rows = await payments(db)
        assert {(p.status, p.refund_reason) for p in rows} == {(MANUAL_REFUND, R_CANCELLED)}
        [listing] = [t for t in await _outbox(db, ORGANIZER["id"]) if t.startswith("💸")]
        assert "• 49.90 CNY：服务商交易号 prov-0，Telegram 交易号 tg-0" in listing
        assert "服务商交易号 prov-1" in listing and "4001" not in listing
        assert "组织者会退还你支付的 49.90 CNY" in (await _outbox(db, 4002))[-1]
        await process_refunds(app.bot, db, config)
        assert fake_request.calls_to("refundStarPayment") == []  # the bot cannot refund these
        await dispatch_once(app.bot, db, Dispatcher(config.messaging))
        assert any(t.startswith("💸") for t in fake_request.sent_texts(ORGANIZER["id"]))


async def test_cancelling_lists_the_provider_payment_of_a_member_who_deleted_their_data(
    db_url, db, fake_request
):
    config = make_config(db_url, payments={"provider_token": "284685063:TEST:abc"})
    async with started_app(config, fake_request) as app:
        salon = await paid_salon(db, capacity=3, price=4990, currency="CNY")
        await join(app, ALICE, salon)
        await pay(app, ALICE, invoices(fake_request, ALICE)[-1], "tg-gone",
                  provider_payment_charge_id="prov-gone")  # fmt: skip
        async with db.begin() as session:
            await delete_user_data(ALICE["id"], session=session)
        await app.process_update(callback(f"S:X:{salon.id}", ORGANIZER, bot=app.bot))
        head = fake_request.calls_to("editMessageText")[-1].params["text"]
        assert "1 provider payments must be refunded by you" in head
        [row] = await payments(db)
        assert (row.status, row.user_id) == (MANUAL_REFUND, None)
        [listing] = [t for t in await _outbox(db, ORGANIZER["id"]) if t.startswith("💸")]
        assert "prov-gone" in listing


async def test_cancelling_keeps_the_refund_notices_still_queued(db_url, db, fake_request):
    config = make_config(db_url, payments={"provider_token": "284685063:TEST:abc"})
    async with started_app(config, fake_request) as app:
        salon = await paid_salon(db, capacity=3, price=4990, currency="CNY",
                                 starts_in=timedelta(days=3))  # fmt: skip
        await join(app, ALICE, salon)
        await pay(app, ALICE, invoices(fake_request, ALICE)[-1], "tg-left",
                  provider_payment_charge_id="prov-left")  # fmt: skip
        await app.process_update(message(f"/leave {salon.short_code}", ALICE, bot=app.bot))
        # The organizer cancels before the dispatcher sent the list of payments to refund.
        await app.process_update(callback(f"S:X:{salon.id}", ORGANIZER, bot=app.bot))
        async with db.begin() as session:
            rows = await session.scalars(
                select(OutboxMessage).where(OutboxMessage.dedupe_key.startswith("refund-list:"))
            )
            assert [(r.status, "prov-left" in r.payload["text"]) for r in rows] == [
                ("pending", True)]  # fmt: skip
        await dispatch_once(app.bot, db, Dispatcher(config.messaging))
        assert any("prov-left" in t for t in fake_request.sent_texts(ORGANIZER["id"]))


async def test_deleting_my_data_refunds_paid_seats_by_the_leaving_rules(app, fake_request, db):
    early = await paid_salon(db, capacity=3, starts_in=timedelta(days=3))
    late = await paid_salon(db, capacity=3, starts_in=timedelta(hours=5), title="Late")
    await _paid_by(app, fake_request, early, ALICE)
    await _paid_by(app, fake_request, late, ALICE)
    await app.process_update(callback("P:del:yes", ALICE, bot=app.bot))
    by_salon = {p.salon_id: p for p in await payments(db)}
    # Early enough: refunded, the id kept (flagged) only until the refund goes through.
    assert (by_salon[early.id].status, by_salon[early.id].refund_reason) == (REFUND_DUE, R_LEFT)
    assert (by_salon[early.id].user_id, by_salon[early.id].user_erased) == (4001, True)
    # Too late to refund: kept for accounting without the person.
    assert (by_salon[late.id].status, by_salon[late.id].user_id) == (PAID, None)
    assert await signups(db, early.id) == ([], 0) and await signups(db, late.id) == ([], 0)
    assert await process_refunds(app.bot, db, app.bot_data.config) == 1
    [call] = fake_request.calls_to("refundStarPayment")
    charge = by_salon[early.id].telegram_payment_charge_id
    assert call.params == {"user_id": 4001, "telegram_payment_charge_id": charge}
    refunded = {p.salon_id: p for p in await payments(db)}[early.id]
    assert (refunded.status, refunded.user_id) == (REFUNDED, None)  # the id is gone now
    assert await _outbox(db, 4001) == []  # nothing more is sent to someone who left us
