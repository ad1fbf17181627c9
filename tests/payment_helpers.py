"""Helpers for paid-salon tests: a paid salon, joining, paying and reading what happened."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from storage.models import Payment, Salon, Signup
from storage.types import utcnow
from tests.salon_helpers import make_salon
from tests.updates import message, pre_checkout_query, successful_payment


async def paid_salon(db, *, price: int = 50, currency: str = "XTR", **fields) -> Salon:
    """A published salon that costs `price` (smallest unit) in `currency`."""
    return await make_salon(db, price_amount=price, currency=currency, **fields)


async def join(app, user: dict, salon: Salon) -> None:
    """The member sends /join <code>."""
    await app.process_update(message(f"/join {salon.short_code}", user, bot=app.bot))


def invoices(fake_request, user: dict) -> list[dict]:
    """The sendInvoice parameters the bot sent to the member, oldest first."""
    return [c.params for c in fake_request.calls_to("sendInvoice", chat_id=user["id"])]


def answers(fake_request) -> list[dict]:
    """Every answerPreCheckoutQuery call's parameters, in order."""
    return [c.params for c in fake_request.calls_to("answerPreCheckoutQuery")]


async def pre_checkout(app, fake_request, user: dict, invoice: dict, **override) -> dict:
    """The member presses Pay; returns the bot's answer (ok, error_message)."""
    update = pre_checkout_query(user, invoice, bot=app.bot, **override)
    await app.process_update(update)
    [answer] = [a for a in answers(fake_request)
                if a["pre_checkout_query_id"] == update.pre_checkout_query.id]  # fmt: skip
    return answer


async def pay(app, user: dict, invoice: dict, charge: str, **override) -> None:
    """Telegram reports the member's successful payment (a Stars charge the fake API knows)."""
    update = successful_payment(user, invoice, charge, bot=app.bot, **override)
    paid = update.message.successful_payment
    if paid.currency == "XTR":
        app.bot.request.api.add_star_charge(charge, user["id"], paid.total_amount)
    await app.process_update(update)


async def signups(db, salon_id: int) -> tuple[list[tuple[int, str]], int]:
    """[(user id, status)] in signup order, and the salon's going_count."""
    async with db.begin() as session:
        rows = await session.scalars(
            select(Signup).where(Signup.salon_id == salon_id).order_by(Signup.id)
        )
        salon = await session.get(Salon, salon_id, populate_existing=True)
        return [(s.user_id, s.status) for s in rows], salon.going_count


async def payments(db) -> list[Payment]:
    """Every payment row, oldest first."""
    async with db.begin() as session:
        return list(await session.scalars(select(Payment).order_by(Payment.id)))


async def end_holds(db, salon_id: int) -> None:
    """Let every hold of the salon run out (its end moves into the past)."""
    async with db.begin() as session:
        await session.execute(
            update(Signup)
            .where(Signup.salon_id == salon_id, Signup.status == "held")
            .values(offer_expires_at=utcnow() - timedelta(seconds=1))
        )
