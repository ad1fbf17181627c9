"""Paying for a held seat: the pre-checkout query and the successful payment.

The pre-checkout query must be answered within 10 seconds, so it does one read and answers;
it runs ahead of any other update in the queue (see `bot.updates.PaymentsFirst`). The payment
itself is settled in one transaction with the salon locked (storage.holds.settle_payment).
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update

from bot.common.context import Context
from bot.members.membership import MEMBERS_ONLY, may_attend
from bot.seats import service
from bot.seats.invoices import verify_payload
from bot.seats.money import format_amount
from bot.seats.replies import send_confirmation
from storage.holds import (
    CANCELLED,
    CONFIRMED,
    DUPLICATE,
    EXPIRED,
    INVALID,
    OK,
    PAID_ALREADY,
    STARTED,
    WRONG_AMOUNT,
    PaymentIn,
    check_hold,
)
from storage.models.payments import (
    MANUAL_REFUND,
    R_ALREADY_PAID,
    R_CANCELLED,
    R_SEAT_GONE,
    R_STARTED,
)
from storage.models.salons import GOING
from storage.signups import DONE, SignupResult

logger = logging.getLogger(__name__)

# The check gets this long; the answer must reach Telegram within 10 s of the query.
CHECK_SECONDS = 4.0
BUSY = "busy"
NOT_MEMBER = "not_member"


def refusal_text(_, verdict: str, salon) -> str:
    """Why the member cannot pay, in a sentence (Telegram shows it in the payment form)."""
    title = salon.title if salon is not None else ""
    code = salon.short_code if salon is not None else ""
    texts = {
        CANCELLED: _("«{title}» was cancelled."),
        STARTED: _("«{title}» has already started."),
        WRONG_AMOUNT: _("The price of «{title}» has changed. Send /join {code} for a new "
                        "invoice."),
        PAID_ALREADY: _("You have already paid for «{title}»."),
        EXPIRED: _("The seat held for you has been released. Send /join {code} to try again."),
        BUSY: _("I am busy right now. Please try again in a minute."),
        NOT_MEMBER: _(MEMBERS_ONLY),
    }  # fmt: skip
    text = texts.get(verdict)
    if text is None:  # forged, not theirs, no hold: the invoice is not (or no longer) valid
        return _("This invoice is not valid. Send /events to see what is on.")
    return text.format(title=title, code=code)


async def pre_checkout(update: Update, context: Context) -> None:
    """Yes only for the payer's valid, unexpired hold at the invoiced amount; else no, why."""
    query = update.pre_checkout_query
    _ = context.gettext(update)
    ref = verify_payload(context.config.telegram.token, query.invoice_payload)
    verdict, salon = INVALID, None
    if ref is not None:
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                async with context.db.begin() as session:
                    check = await check_hold(ref, payer_id=query.from_user.id,
                                             amount=query.total_amount, currency=query.currency,
                                             session=session)  # fmt: skip
            verdict, salon = check.verdict, check.salon
        except (TimeoutError, SQLAlchemyError, OSError) as error:
            logger.warning("pre-checkout %s: check failed (%s)", query.id, type(error).__name__)
            verdict = BUSY
    if verdict == OK:
        # Paying is taking the seat: the payer must still belong to the community.
        try:
            async with asyncio.timeout(CHECK_SECONDS):
                member = await may_attend(context, query.from_user.id, salon)
        except (TimeoutError, SQLAlchemyError, OSError):
            member = None
        if member:
            await query.answer(ok=True)
            return
        verdict = NOT_MEMBER if member is False else BUSY
    logger.info("pre-checkout %s refused: %s", query.id, verdict)
    await query.answer(ok=False, error_message=refusal_text(_, verdict, salon))


def refund_text(_, reason: str | None, amount: str, title: str, manual: bool) -> str:
    """What the member reads when their payment could not buy a seat."""
    why = {
        R_CANCELLED: _("«{title}» was cancelled."),
        R_STARTED: _("«{title}» has already started."),
        R_SEAT_GONE: _("The seat held for you had been released and «{title}» is full now."),
        R_ALREADY_PAID: _("You already have a seat at «{title}»."),
    }.get(reason, _("The payment did not match an invoice of mine."))
    if manual:
        then = _("The organizer will refund your payment of {amount}.")
    else:
        then = _("Your payment of {amount} is being refunded.")
    return f"{why.format(title=title)} {then.format(amount=amount)}"


async def successful_payment(update: Update, context: Context) -> None:
    """Record the payment once; it confirms the held seat, or it is refunded."""
    paid = update.effective_message.successful_payment
    user_id = update.effective_user.id
    ref = verify_payload(context.config.telegram.token, paid.invoice_payload)
    payment_in = PaymentIn(
        ref,
        user_id,
        paid.currency,
        paid.total_amount,
        paid.telegram_payment_charge_id,
        paid.provider_payment_charge_id or "",
    )
    settled = await service.settle(context.db, context.config, payment_in)
    if settled.outcome == DUPLICATE:
        logger.info("payment %s seen before: nothing recorded", paid.telegram_payment_charge_id)
        return
    payment = settled.payment
    logger.info("payment %s for salon %s: %s (%s)", payment.id, payment.salon_id,
                settled.outcome, settled.reason or "-")  # fmt: skip
    _ = context.gettext(update)
    if settled.outcome == CONFIRMED:
        head = _("Payment received: the seat is yours! See you there.")
        await send_confirmation(update, context, SignupResult(DONE, settled.salon, GOING), head)
        return
    title = settled.salon.title if settled.salon is not None else ""
    amount = format_amount(payment.amount, payment.currency)
    text = refund_text(_, settled.reason, amount, title, payment.status == MANUAL_REFUND)
    await update.effective_message.reply_text(text)
