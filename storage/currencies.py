"""Currency decimals, shared by the bot (showing prices) and the frames (price as a feature)."""

from __future__ import annotations

STARS = "XTR"
# Currency -> number of decimals (Telegram's currencies.json "exp"); 2 unless listed otherwise.
EXPONENTS = {STARS: 0, "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "UGX": 0, "PYG": 0}


def exponent(currency: str) -> int:
    """Decimals of the currency (0 for Stars and yen, 2 for most and for imported prices)."""
    return EXPONENTS.get(currency.upper(), 2)


def to_major(amount: int, currency: str) -> float:
    """An amount in the smallest unit as the currency's main unit (4950 CNY -> 49.5)."""
    return amount / 10 ** exponent(currency)
