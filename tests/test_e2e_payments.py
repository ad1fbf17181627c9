"""End to end: `salonbot run` sells a seat in Telegram Stars, the salon is cancelled, the Stars
go back (refundStarPayment), all against the local fake Bot API server."""

from __future__ import annotations

import asyncio
import signal

import pytest
from sqlalchemy import select

from bot.sandbox.server import BotApiSandbox
from storage.db import create_engine, session_factory
from storage.models import Payment, Salon, Signup
from tests.e2e import BotProcess, write_config
from tests.organizer import local_in, text_of
from tests.updates import EN_USER, ORGANIZER, callback_query_json, message_json


@pytest.fixture
def sandbox():
    with BotApiSandbox() as api:
        yield api


async def _rows(db_url: str):
    engine = create_engine(db_url)
    try:
        async with session_factory(engine).begin() as session:
            salon = await session.scalar(select(Salon))
            signups = list(await session.scalars(select(Signup)))
            payments = list(await session.scalars(select(Payment)))
            return salon, signups, payments
    finally:
        await engine.dispose()


def _press(sandbox: BotApiSandbox, user: dict, call, prefix: str) -> None:
    markup = call.params.get("reply_markup") or {}
    data = next(b["callback_data"] for row in markup["inline_keyboard"] for b in row
                if b.get("callback_data", "").startswith(prefix))  # fmt: skip
    sandbox.push_update({"callback_query": callback_query_json(data, user)})


def test_a_paid_seat_is_sold_then_refunded_when_the_salon_is_cancelled(tmp_path, sandbox, db_url):
    line = f"/newsalon Stars night | {text_of(local_in(6, 19, 30))} | 5 | Café | | 25 XTR"
    bot = BotProcess(write_config(tmp_path, sandbox, db_url)).start()
    try:
        bot.wait_polling(sandbox)
        sandbox.push_update({"message": message_json(line, ORGANIZER)})
        [preview] = sandbox.wait_for("sendMessage", 1, chat_id=ORGANIZER["id"])
        _press(sandbox, ORGANIZER, preview, "S:pub:")
        [post] = sandbox.wait_for("sendMessage", 1, chat_id=-1001234567890)
        code = post.params["text"].split("/join ")[1].split()[0].rstrip("。.")
        sandbox.push_update({"message": message_json(f"/join {code}", EN_USER)})
        [invoice] = sandbox.wait_for("sendInvoice", 1, chat_id=EN_USER["id"])
        assert invoice.params["currency"] == "XTR" and not invoice.params.get("provider_token")
        query = sandbox.push_pre_checkout(EN_USER, invoice.params)
        assert sandbox.wait_pre_checkout(query) == {"ok": True, "error_message": None}
        charge = sandbox.push_successful_payment(EN_USER, invoice.params)
        sandbox.wait_for("sendDocument", 1, chat_id=EN_USER["id"])  # the seat's calendar file
        # The organizer cancels the salon from its menu.
        salon, _signups, _payments = asyncio.run(_rows(db_url))
        sandbox.push_update({"callback_query": callback_query_json(f"S:X:{salon.id}", ORGANIZER)})
        [refund] = sandbox.wait_for("refundStarPayment", 1)
        notice = sandbox.wait_for("sendMessage", 1, chat_id=EN_USER["id"],
                                  text="↩️ Refunded 25 ⭐ for «Stars night».")  # fmt: skip
        assert notice
    finally:
        status = bot.stop(signal.SIGTERM)
    assert status == 0, bot.log()
    assert refund.params == {"user_id": EN_USER["id"], "telegram_payment_charge_id": charge}
    assert sandbox.star_charges[charge]["refunded"] is True
    salon, signups, payments = asyncio.run(_rows(db_url))
    assert salon.status == "cancelled" and [s.status for s in signups] == ["going"]
    [payment] = payments
    assert (payment.amount, payment.currency, payment.status) == (25, "XTR", "refunded")
    assert (payment.refund_reason, payment.telegram_payment_charge_id) == ("cancelled", charge)
