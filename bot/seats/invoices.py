"""Invoices for held seats: the signed payload, the invoice itself, and sending it.

The payload names the hold it pays for, `v1.<salon>.<member>.<signup>.<amount>.<signature>`,
signed with HMAC-SHA256 under a key derived from the bot token (so only this bot can have
made it; a new token voids the invoices still open, whose holds last minutes anyway). It is
at most 128 bytes, Telegram's limit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re

from telegram import LabeledPrice, Message
from telegram.error import TelegramError

from bot.common.config import Config
from bot.common.formatting import local_time
from bot.common.i18n import translations
from bot.salons.member_texts import community_zone, when
from bot.seats.money import STARS, format_amount
from storage.holds import InvoiceRef
from storage.models import Salon, Signup

logger = logging.getLogger(__name__)

MAX_PAYLOAD = 128
MAX_TITLE, MAX_DESCRIPTION = 32, 255
_PAYLOAD_RE = re.compile(r"^v1" + r"\.(\d{1,19})" * 4 + r"\.([\w-]{22})$", re.ASCII)


def _key(token: str) -> bytes:
    return hashlib.sha256(b"salonbot invoice payload\0" + token.encode()).digest()


def _signature(token: str, body: str) -> str:
    digest = hmac.new(_key(token), body.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign_payload(token: str, ref: InvoiceRef) -> str:
    """The invoice payload for a hold (at most 128 bytes)."""
    body = f"v1.{ref.salon_id}.{ref.user_id}.{ref.signup_id}.{ref.amount}"
    payload = f"{body}.{_signature(token, body)}"
    if len(payload.encode()) > MAX_PAYLOAD:
        raise ValueError("invoice payload too long")
    return payload


def verify_payload(token: str, payload: str | None) -> InvoiceRef | None:
    """The hold a payload names, or None when it is malformed or not signed by this bot."""
    if not payload or len(payload) > MAX_PAYLOAD:
        return None
    match = _PAYLOAD_RE.match(payload)
    if match is None:
        return None
    body = payload.rsplit(".", 1)[0]
    if not hmac.compare_digest(_signature(token, body), match.group(5)):
        return None
    salon_id, user_id, signup_id, amount = (int(match.group(i)) for i in range(1, 5))
    return InvoiceRef(salon_id, user_id, signup_id, amount)


def invoice_params(config: Config, salon: Salon, signup: Signup, language: str) -> dict:
    """sendInvoice parameters (without chat_id) for the member's held seat."""
    _ = translations(language).gettext
    zone = community_zone(config, salon)[0]
    description = _("A seat at «{title}», {time}. It is held for you until {until}.").format(
        title=salon.title, time=when(config, salon, language),
        until=local_time(signup.offer_expires_at, zone, language),
    )  # fmt: skip
    description += " " + refund_policy(config, salon, language)
    ref = InvoiceRef(salon.id, signup.user_id, signup.id, salon.price_amount)
    params = {
        "title": salon.title[:MAX_TITLE],
        "description": description[:MAX_DESCRIPTION],
        "payload": sign_payload(config.telegram.token, ref),
        "currency": salon.currency,
        "prices": [LabeledPrice(_("Seat"), salon.price_amount)],
    }
    if salon.currency != STARS:
        params["provider_token"] = config.payments.provider_token
    return params


def refund_policy(config: Config, salon: Salon, language: str) -> str:
    """One sentence: until when leaving is refunded."""
    _ = translations(language).gettext
    hours = config.payments.refund_deadline_hours
    if hours <= 0:
        return _("Leave before the start and you are refunded.")
    return _("Leave at least {hours:g} hours before the start and you are refunded.").format(
        hours=hours
    )


def price_text(salon: Salon) -> str:
    """The salon's price, e.g. '50 ⭐' or '49.90 CNY'."""
    return format_amount(salon.price_amount, salon.currency)


async def send_invoice(
    message: Message, config: Config, salon: Salon, signup: Signup, language: str
) -> bool:
    """Send the invoice for a held seat in reply to the member; False if Telegram refused."""
    params = invoice_params(config, salon, signup, language)
    try:
        await message.get_bot().send_invoice(chat_id=message.chat_id, **params)
    except TelegramError as error:
        logger.warning("invoice for salon %s refused: %s", salon.id, error)
        return False
    return True
