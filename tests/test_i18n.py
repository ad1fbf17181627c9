"""Every user-facing string has a Chinese and an English translation, compiled and current."""

from __future__ import annotations

import gettext
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

from bot.common.i18n import DOMAIN, LOCALE_DIR, LOCALES, pick_language

ROOT = Path(__file__).resolve().parent.parent


def _marked_strings() -> set[str]:
    keywords = {**DEFAULT_KEYWORDS, "N_": None}
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ROOT / "bot"), method_map=[("**.py", "python")], keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog(language: str):
    path = LOCALE_DIR / LOCALES[language] / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as f:
        return read_po(f)


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_strings_are_found():
    assert "What I can do:" in _marked_strings()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_marked_string_is_translated(language):
    catalog = _catalog(language)
    missing = [m for m in _marked_strings() if not (catalog.get(m) and catalog.get(m).string)]
    assert missing == [], f"untranslated in {language}: {missing}"


@pytest.mark.parametrize("language", ["zh", "en"])
def test_translations_keep_placeholders(language):
    for message in _catalog(language):
        if message.id and message.string:
            assert _fields(message.string) == _fields(message.id), message.id


@pytest.mark.parametrize("language", ["zh", "en"])
def test_compiled_catalog_matches_po(language):
    compiled = gettext.translation(DOMAIN, LOCALE_DIR, languages=[LOCALES[language]])
    for message in _catalog(language):
        if message.id and message.string:
            assert compiled.gettext(message.id) == message.string, "run scripts/i18n.py update"


def test_chinese_catalog_is_really_chinese():
    catalog = _catalog("zh")
    assert catalog.get("What I can do:").string == "我能做什么："
    untranslated = [
        m.id for m in catalog if m.id and re.search(r"[A-Za-z]{3}", m.id) and m.string == m.id
    ]
    assert untranslated == [], f"Chinese catalog holds English text: {untranslated}"


@pytest.mark.parametrize(
    ("code", "default", "expected"),
    [("zh-hans", "en", "zh"), ("zh-TW", "en", "zh"), ("en-GB", "zh", "en"), ("de", "zh", "zh"),
     (None, "en", "en"), ("ru", "xx", "en")],
)  # fmt: skip
def test_pick_language(code, default, expected):
    assert pick_language(code, default) == expected
