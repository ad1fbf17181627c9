"""Amounts of money: currencies Telegram payments accept, their decimals, reading and showing.

Telegram takes amounts in a currency's smallest unit (cents for USD, whole stars for XTR);
`storage.currencies` says how many decimals each currency has. The list holds the currencies of
Telegram's payment providers; an unknown code is refused rather than sent to Telegram.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from storage.currencies import STARS, exponent

CURRENCIES = frozenset({
    STARS, "USD", "EUR", "GBP", "CNY", "HKD", "TWD", "SGD", "MYR", "THB", "IDR", "PHP", "VND",
    "JPY", "KRW", "INR", "AUD", "NZD", "CAD", "CHF", "SEK", "NOK", "DKK", "PLN", "CZK", "HUF",
    "RON", "BGN", "TRY", "ILS", "AED", "SAR", "QAR", "EGP", "ZAR", "NGN", "KES", "UGX", "BRL",
    "ARS", "CLP", "COP", "MXN", "PEN", "UYU", "PYG", "ISK", "UAH", "KZT", "UZS", "GEL", "AMD",
    "AZN", "MDL", "RSD", "BDT", "PKR", "LKR", "NPR", "MNT", "RUB",
})  # fmt: skip
# Telegram refuses invoices above these (Stars: 1..10000 per invoice; others about 10 000 USD).
MAX_STARS = 10_000
MAX_UNITS = 1_000_000
_AMOUNT_RE = re.compile(r"^\s*(\d{1,9}(?:[.,]\d{1,4})?)\s*([A-Za-z]{2,6}|⭐️?)?\s*$")
_CODE_FIRST_RE = re.compile(r"^\s*([A-Za-z]{2,6})\s*(\d{1,9}(?:[.,]\d{1,4})?)\s*$")


def format_amount(amount: int, currency: str) -> str:
    """'50 ⭐' for Stars, '49.90 CNY' otherwise."""
    if currency == STARS:
        return f"{amount} ⭐"
    digits = exponent(currency)
    value = Decimal(amount).scaleb(-digits)
    return f"{value:.{digits}f} {currency}"


def price_example(payments) -> str:
    """An example price in `[payments] default_currency`: '50 ⭐ (Telegram Stars)', '49.90 CNY'."""
    if payments.default_currency == STARS:
        return "50 ⭐ (Telegram Stars)"
    return format_amount(4990, payments.default_currency)


class PriceError(ValueError):
    """A price that cannot be read; `reason` is one of the constants below."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


UNREADABLE, UNKNOWN_CURRENCY, FRACTION, TOO_HIGH = "unreadable", "currency", "fraction", "high"


def parse_price(text: str, default_currency: str) -> tuple[int, str]:
    """'50', '50 XTR', '50⭐', '49.90 CNY', 'CNY 49.9', 'free' or '0' -> (amount, currency).

    The amount is in the currency's smallest unit; 0 means free (currency "").
    """
    value = text.strip()
    if value.lower() in ("free", "0", "免费", "-"):
        return 0, ""
    match = _AMOUNT_RE.match(value)
    if match:
        number, code = match.group(1), match.group(2)
    else:
        swapped = _CODE_FIRST_RE.match(value)
        if not swapped:
            raise PriceError(UNREADABLE)
        code, number = swapped.group(1), swapped.group(2)
    if code is None:
        currency = default_currency
    elif code.startswith("⭐") or code.lower() in ("star", "stars"):
        currency = STARS
    else:
        currency = code.upper()
    if currency not in CURRENCIES:
        raise PriceError(UNKNOWN_CURRENCY)
    try:
        scaled = Decimal(number.replace(",", ".")).scaleb(exponent(currency))
    except InvalidOperation:
        raise PriceError(UNREADABLE) from None
    if scaled != scaled.to_integral_value():
        raise PriceError(FRACTION)
    amount = int(scaled)
    if amount == 0:
        return 0, ""
    limit = MAX_STARS if currency == STARS else MAX_UNITS * 10 ** exponent(currency)
    if amount > limit:
        raise PriceError(TOO_HIGH)
    return amount, currency
