"""Starting refunds from the bot's side and telling people: members and organizers.

Messages go through the outbox with one dedupe key per payment and event, so a retried
transaction or a second process never tells anyone twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.config import Config
from bot.common.i18n import translations
from bot.salons.member_texts import member_language
from bot.seats.money import format_amount
from storage.models import Payment, Salon
from storage.models.outbox import KIND_REFUND
from storage.models.payments import MANUAL_REFUND, R_CANCELLED, R_LEFT
from storage.outbox import enqueue
from storage.payments import get_paid, refund_paid
from storage.types import utcnow
from storage.users import get_user

PRIORITY_REFUND = 15


def organizer_ids(config: Config, salon: Salon) -> list[int]:
    """Who hears about refunds: the community's configured organizers and the salon's author."""
    community = config.community(salon.community_id)
    ids = list(community.organizers) if community else []
    if salon.created_by is not None and salon.created_by not in ids:
        ids.append(salon.created_by)
    return ids


async def _language(config: Config, salon: Salon, user_id: int, session: AsyncSession) -> str:
    user = await get_user(user_id, session=session)
    return member_language(config, salon, user.language_code if user else None)


def _amount(payment: Payment) -> str:
    return format_amount(payment.amount, payment.currency)


async def leave_refunds(
    config: Config, salon: Salon, user_id: int, language: str, *, session: AsyncSession
) -> str:
    """A member left a salon: refund what they paid if it is early enough; what to tell them."""
    _ = translations(language).gettext
    paid = await get_paid(salon.id, user_id, session=session)
    if not paid:
        return ""
    total = format_amount(sum(p.amount for p in paid), paid[0].currency)
    deadline = salon.starts_at - timedelta(hours=config.payments.refund_deadline_hours)
    if utcnow() > deadline:
        return _("The refund deadline has passed, so your payment of {amount} is not "
                 "refunded.").format(amount=total)  # fmt: skip
    payments = await refund_paid(salon.id, R_LEFT, session=session, user_id=user_id)
    manual = [p for p in payments if p.status == MANUAL_REFUND]
    await queue_manual_refunds(config, salon, manual, session=session)
    if manual:
        return _("The organizer will refund your payment of {amount}.").format(amount=total)
    return _("Your payment of {amount} is being refunded.").format(amount=total)


async def cancel_refunds(config: Config, salon: Salon, *, session: AsyncSession) -> list[Payment]:
    """The salon was cancelled: refund every payer (Stars by the bot, the rest listed)."""
    payments = await refund_paid(salon.id, R_CANCELLED, session=session)
    manual = [p for p in payments if p.status == MANUAL_REFUND]
    await queue_manual_refunds(config, salon, manual, session=session)
    for payment in manual:
        if payment.user_id is None:  # the member deleted their data: nobody to tell
            continue
        language = await _language(config, salon, payment.user_id, session)
        _ = translations(language).gettext
        text = _("The organizer will refund your payment of {amount} for «{title}».").format(
            amount=_amount(payment), title=salon.title
        )
        await _tell(payment.user_id, salon, f"refund-manual:{payment.id}", text, session)
    return payments


def refunds_line(_, payments: Sequence[Payment]) -> str:
    """For the organizer: how many payments are refunded by the bot and how many by hand."""
    manual = sum(p.status == MANUAL_REFUND for p in payments)
    stars = len(payments) - manual
    parts = []
    if stars:
        parts.append(_("{count} Stars payments are being refunded.").format(count=stars))
    if manual:
        parts.append(_("{count} provider payments must be refunded by you: I sent you the "
                       "list.").format(count=manual))  # fmt: skip
    return " ".join(parts)


async def queue_manual_refunds(
    config: Config, salon: Salon, payments: Sequence[Payment], *, session: AsyncSession
) -> int:
    """List provider payments the organizers must refund by hand (one message each)."""
    if not payments:
        return 0
    count = 0
    for organizer in organizer_ids(config, salon):
        language = await _language(config, salon, organizer, session)
        _ = translations(language).gettext
        head = _("💸 Please refund these payments for «{title}» in your payment provider's "
                 "dashboard (the bot cannot refund them):")  # fmt: skip
        lines = [head.format(title=salon.title)]
        for p in payments:
            # Charge ids, not member ids: the outbox keeps this text, and a member who deletes
            # their data must not stay named in it (the provider finds the charge by its id).
            lines.append(_("• {amount}: provider charge {provider}, Telegram charge "
                           "{telegram}").format(
                amount=_amount(p), provider=p.provider_payment_charge_id or "—",
                telegram=p.telegram_payment_charge_id))  # fmt: skip
        # A payment is refunded once, so its first payment names the list.
        key = f"refund-list:{payments[0].id}:{organizer}"
        count += await _tell(organizer, salon, key, "\n".join(lines), session)
    return count


async def queue_refunded(
    config: Config, salon: Salon | None, payment: Payment, *, session: AsyncSession
) -> bool:
    """Tell the member their Stars came back."""
    if payment.user_id is None or payment.user_erased:
        return False
    title = salon.title if salon else "—"
    language = (await _language(config, salon, payment.user_id, session)) if salon else "en"
    _ = translations(language).gettext
    text = _("↩️ Refunded {amount} for «{title}».").format(amount=_amount(payment), title=title)
    return await _tell(payment.user_id, salon, f"refunded:{payment.id}", text, session)


async def queue_refund_failing(
    config: Config, salon: Salon | None, payment: Payment, *, session: AsyncSession
) -> int:
    """Tell the organizers that a refund keeps failing (it is still retried)."""
    if salon is None:
        return 0
    count = 0
    for organizer in organizer_ids(config, salon):
        language = await _language(config, salon, organizer, session)
        _ = translations(language).gettext
        text = _("⚠️ Refunding {amount} for «{title}» failed {attempts} times ({error}). I keep "
                 "trying; Telegram charge {telegram}.").format(
            amount=_amount(payment), title=salon.title,
            attempts=payment.refund_attempts, error=payment.refund_error or "—",
            telegram=payment.telegram_payment_charge_id)  # fmt: skip
        count += await _tell(organizer, salon, f"refund-failing:{payment.id}:{organizer}", text,
                             session)  # fmt: skip
    return count


async def _tell(user_id: int, salon: Salon | None, key: str, text: str, session) -> bool:
    return await enqueue(
        key, session=session, kind=KIND_REFUND, chat_id=user_id, user_id=user_id,
        salon_id=salon.id if salon else None, payload={"text": text[:4096]},
        priority=PRIORITY_REFUND,
    )  # fmt: skip
