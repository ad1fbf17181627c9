"""The seats service: joining, leaving, claiming an offered seat, releasing an unpaid hold.

Every entry point — `/join`, the Join button, a `j_` deep link, the Join button under an
invitation, the Claim button of a waitlist offer, a leave or "I can't come" — calls one of
these functions. Each is one transaction (the member, the seat, the messages it queues and
the invitation it answers change together or not at all) and returns plain results that the
handlers put into words. No Telegram here; `storage.signups` holds the seat rules.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.common.config import Config
from bot.outbox.notices import queue_offers
from bot.seats.refund_notices import leave_refunds, queue_manual_refunds
from storage.holds import PaymentIn, Settled, settle_payment
from storage.invitations import get_member_invitation, set_response
from storage.models.campaigns import JOINED
from storage.models.payments import MANUAL_REFUND
from storage.models.salons import GOING, HELD, SALON_DRAFT, SIGNED_UP
from storage.outbox import cancel_pending
from storage.payments import get_paid
from storage.salons import find_salon, get_salon
from storage.signups import (
    DONE,
    NOT_FOUND,
    SignupResult,
    add_signup,
    cancel_signup,
    get_signup,
)
from storage.types import utcnow
from storage.users import UserInfo, upsert_user
from storage.waitlist import claim_offer

logger = logging.getLogger(__name__)

# Pauses between attempts to record a payment while the database is unreachable.
SETTLE_RETRY_SECONDS = (1.0, 2.0, 4.0, 8.0)
# Outcome of `leave` when leaving would forfeit a payment: the member confirms first.
CONFIRM = "confirm"


@dataclass(frozen=True)
class Left:
    """What leaving did, and the sentence about the member's payment ('' if none)."""

    result: SignupResult
    refund: str = ""


def hold_window(config: Config) -> timedelta:
    """How long a seat of a paid salon is held while the member pays."""
    return timedelta(minutes=config.payments.hold_minutes)


def offer_window(config: Config) -> timedelta:
    """How long a seat offered from the waitlist waits for its claim."""
    return timedelta(hours=config.schedule.waitlist_claim_hours)


async def find_salon_id(db: async_sessionmaker, config: Config, ref: str) -> int | None:
    """The id of a published salon of a configured community named by its short code (never
    an internal or imported id: those are guessable)."""
    community_ids = [c.chat_id for c in config.communities]
    async with db.begin() as session:
        salon = await find_salon(ref, session=session, community_ids=community_ids,
                                 codes_only=True)  # fmt: skip
    return salon.id if salon and salon.status != SALON_DRAFT else None


async def join(
    db: async_sessionmaker,
    config: Config,
    user: UserInfo,
    salon_id: int | None,
    *,
    source: str = "self",
) -> SignupResult:
    """Sign the member up (a seat, a held seat of a paid salon, or the waitlist).

    With `source="invitation"` the member's invitation is marked as answered by joining in
    the same transaction. An expired hold renewed by a second /join, or one given up to the
    waitlist, is decided by `storage.signups.add_signup`; seats it frees are offered here.
    """
    async with db.begin() as session:
        await upsert_user(user, session=session)
        if salon_id is None:
            return SignupResult(NOT_FOUND)
        result = await add_signup(
            salon_id, user.id, session=session, source=source, hold=hold_window(config),
            max_holds=config.payments.max_holds, offer_window=offer_window(config),
        )  # fmt: skip
        if result.offers:
            await queue_offers(config, result.salon, result.offers, session=session)
        if source == "invitation" and (result.outcome == DONE or result.status in SIGNED_UP):
            invitation = await get_member_invitation(salon_id, user.id, session=session)
            await set_response(invitation, JOINED, session=session)
    return result


async def release_unpaid_hold(
    db: async_sessionmaker, config: Config, salon_id: int, user_id: int
) -> bool:
    """Give back a hold whose invoice could not be sent; False if it was paid meanwhile."""
    async with db.begin() as session:
        released = await cancel_signup(salon_id, user_id, session=session,
                                       offer_window=offer_window(config), only=(HELD,))  # fmt: skip
        if released.outcome == DONE:
            await queue_offers(config, released.salon, released.offers, session=session)
    return released.outcome == DONE


async def forfeits_payment(
    config: Config, salon_id: int, user_id: int, *, session: AsyncSession
) -> bool:
    """Whether leaving now keeps the member's payment: a paid seat after the refund deadline."""
    if not await get_paid(salon_id, user_id, session=session):  # most leaves: one query
        return False
    signup = await get_signup(salon_id, user_id, session=session)
    if signup is None or signup.status != GOING:
        return False
    salon = await get_salon(salon_id, session=session)
    return utcnow() > salon.starts_at - timedelta(hours=config.payments.refund_deadline_hours)


async def leave(
    db: async_sessionmaker,
    config: Config,
    salon_id: int | None,
    user_id: int,
    language: str,
    *,
    confirmed: bool = False,
) -> Left:
    """Release the member's seat or waitlist place; the freed seat goes to the next in line.

    A paid seat whose refund deadline has passed is released only once `confirmed`: until
    then the outcome is CONFIRM and nothing changes.
    """
    if salon_id is None:
        return Left(SignupResult(NOT_FOUND))
    async with db.begin() as session:
        if not confirmed and await forfeits_payment(config, salon_id, user_id, session=session):
            return Left(SignupResult(CONFIRM, await get_salon(salon_id, session=session), GOING))
        result = await cancel_signup(salon_id, user_id, session=session,
                                     offer_window=offer_window(config))  # fmt: skip
        refund = ""
        if result.outcome == DONE:
            await cancel_pending(session=session, salon_id=salon_id, user_id=user_id,
                                 kinds=("reminder",))  # fmt: skip
            await queue_offers(config, result.salon, result.offers, session=session)
            refund = await leave_refunds(config, result.salon, user_id, language, session=session)
    return Left(result, refund)


async def claim(
    db: async_sessionmaker, config: Config, salon_id: int | None, user_id: int
) -> SignupResult:
    """Take the seat offered from the waitlist (held while the member pays, if paid)."""
    if salon_id is None:
        return SignupResult(NOT_FOUND)
    async with db.begin() as session:
        return await claim_offer(salon_id, user_id, session=session, hold=hold_window(config))


async def settle(db: async_sessionmaker, config: Config, payment_in: PaymentIn) -> Settled:
    """Settle in one transaction, retried through a short database outage: Telegram sends a
    successful payment once, so giving up loses the record of money taken."""
    for attempt in range(len(SETTLE_RETRY_SECONDS) + 1):
        try:
            async with db.begin() as session:
                settled = await settle_payment(payment_in, session=session)
                if settled.payment is not None and settled.payment.status == MANUAL_REFUND:
                    await queue_manual_refunds(config, settled.salon, [settled.payment],
                                               session=session)  # fmt: skip
            return settled
        except (OperationalError, InterfaceError, OSError) as error:
            if attempt == len(SETTLE_RETRY_SECONDS):
                # The error handler replays the update for a while, then names the charge id
                # to reconcile by hand if it never could be recorded.
                logger.warning("payment %s not recorded yet (%s): replayed later",
                               payment_in.telegram_charge_id, type(error).__name__)  # fmt: skip
                raise
            logger.warning("payment %s: database unavailable, retrying",
                           payment_in.telegram_charge_id)  # fmt: skip
            await asyncio.sleep(SETTLE_RETRY_SECONDS[attempt])
    raise AssertionError("unreachable")
