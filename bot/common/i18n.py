"""gettext catalogs (Simplified Chinese and English) and the choice of a user's language.

Strings are marked with `_()` (or `N_()` where they are only declared) and extracted with
Babel; see docs/i18n.md.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).parent.parent / "locale"
DOMAIN = "salonbot"
# Our language codes -> gettext locale directories.
LOCALES = {"zh": "zh_Hans", "en": "en"}


def N_(message: str) -> str:
    """Mark a string for extraction without translating it yet."""
    return message


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog for 'zh' or 'en' (loaded once, on first use)."""
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[LOCALES[language]])


def pick_language(language_code: str | None, default: str) -> str:
    """The user's language from their Telegram language_code, else the community default."""
    code = (language_code or "").lower().replace("_", "-")
    if code.startswith("zh"):
        return "zh"
    if code.startswith("en"):
        return "en"
    return default if default in LOCALES else "en"
