"""Queueing the messages the bot starts (through the outbox), with deterministic dedupe keys."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.config import Config
from bot.salons.member_texts import (
    feedback_payload,
    lapsed_payload,
    member_language,
    offer_payload,
    reminder_payload,
    unpaid_payload,
)
from storage.models import Salon, Signup
from storage.outbox import enqueue
from storage.salons import get_salon
from storage.schedule import Due
from storage.users import get_user

# Sent before invitations and other bulk messages when both are due.
PRIORITY_OFFER, PRIORITY_REMINDER, PRIORITY_FEEDBACK = 20, 10, 0


async def _language(config: Config, salon: Salon, user_id: int, session: AsyncSession) -> str:
    user = await get_user(user_id, session=session)
    return member_language(config, salon, user.language_code if user else None)


async def queue_offers(
    config: Config, salon: Salon, offers: Iterable[Signup], *, session: AsyncSession
) -> int:
    """Tell each member offered a freed seat; returns how many messages were queued."""
    count = 0
    for signup in offers:
        language = await _language(config, salon, signup.user_id, session)
        payload = offer_payload(config, salon, language, signup.offer_expires_at)
        count += await enqueue(
            f"offer:{signup.id}", session=session, kind="offer", chat_id=signup.user_id,
            user_id=signup.user_id, salon_id=salon.id, payload=payload, priority=PRIORITY_OFFER,
        )  # fmt: skip
    return count


async def queue_lapsed(
    config: Config, salons: dict[int, Salon], lapsed: Iterable[Signup], *, session: AsyncSession
) -> int:
    """Tell members whose seat offer lapsed."""
    count = 0
    for signup in lapsed:
        salon = salons[signup.salon_id]
        language = await _language(config, salon, signup.user_id, session)
        count += await enqueue(
            f"offer-lapsed:{signup.id}", session=session, kind="offer", chat_id=signup.user_id,
            user_id=signup.user_id, salon_id=salon.id,
            payload=lapsed_payload(config, salon, language),
        )  # fmt: skip
    return count


async def queue_unpaid(
    config: Config, ended: Iterable[Signup], *, session: AsyncSession, now: datetime
) -> int:
    """Tell members whose held seat was released unpaid (not once the salon has started)."""
    count = 0
    for signup in ended:
        salon = await get_salon(signup.salon_id, session=session)
        if salon is None or salon.starts_at <= now:
            continue
        language = await _language(config, salon, signup.user_id, session)
        count += await enqueue(
            f"hold-ended:{signup.id}:{int(signup.created_at.timestamp())}", session=session,
            kind="offer", chat_id=signup.user_id, user_id=signup.user_id, salon_id=salon.id,
            payload=unpaid_payload(salon, language),
        )  # fmt: skip
    return count


async def queue_reminder(config: Config, due: Due, *, session: AsyncSession) -> bool:
    """Queue one reminder (a no-op if it was queued before)."""
    salon = due.salon
    language = member_language(config, salon, due.language_code)
    return await enqueue(
        # The start time is in the key: after the salon is moved, reminders are due again.
        f"reminder:{salon.id}:{due.user_id}:{due.hours:g}:{int(salon.starts_at.timestamp())}",
        session=session, kind="reminder",
        chat_id=due.user_id, user_id=due.user_id, salon_id=salon.id,
        payload=reminder_payload(config, salon, language, due.hours), priority=PRIORITY_REMINDER,
    )  # fmt: skip


async def queue_feedback(config: Config, due: Due, *, session: AsyncSession) -> bool:
    """Queue one feedback poll (the dispatcher records the poll id when it is sent)."""
    salon = due.salon
    language = member_language(config, salon, due.language_code)
    return await enqueue(
        f"feedback:{salon.id}:{due.user_id}", session=session, kind="feedback",
        chat_id=due.user_id, user_id=due.user_id, salon_id=salon.id, method="sendPoll",
        payload=feedback_payload(salon, language), priority=PRIORITY_FEEDBACK,
    )  # fmt: skip
