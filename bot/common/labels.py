"""Display names of segments and tags in both languages, and reading them back in either.

Segment names are the recommender's (English, stored as such); organizers read and type them
in their own language, or by a one-word alias (`segments=活跃,潜水` or `segments=active,lurkers`).
Tags are stored as organizers type them, except that a known topic typed in either language is
stored under its key ("人工智能" and "AI" both become "ai") and shown in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from bot.common.i18n import N_, translations

# recommender.segmentation.SEGMENT_NAMES (plus "unknown"); other names are shown as they are.
SEGMENTS = {
    "core": N_("core"),
    "active talkers": N_("active talkers"),
    "reactors": N_("reactors"),
    "lurkers": N_("lurkers"),
    "newcomers": N_("newcomers"),
    "dormant": N_("dormant"),
    "unknown": N_("unknown"),
}
# One word each, so that a segment can be typed in a /invite argument without spaces.
SEGMENT_ALIASES = {
    "core": ("core", "核心"),
    "active talkers": ("active", "talkers", "活跃", "发言"),
    "reactors": ("reactors", "表情", "回应"),
    "lurkers": ("lurkers", "潜水"),
    "newcomers": ("newcomers", "new", "新人", "新成员"),
    "dormant": ("dormant", "沉寂"),
    "unknown": ("unknown", "未知"),
}
# Topics a salon is often tagged with (the demo's simulated community uses these keys).
TAGS = {
    "ai": N_("AI"),
    "reading": N_("reading"),
    "investing": N_("investing"),
    "startups": N_("startups"),
    "design": N_("design"),
    "health": N_("health"),
}


def segment_label(name: str, _: Callable[[str], str]) -> str:
    """A segment's name in the reader's language."""
    return _(SEGMENTS[name]) if name in SEGMENTS else name


def _key(text: str) -> str:
    return "".join(text.split()).casefold()


@cache
def _segment_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for name, msgid in SEGMENTS.items():
        spellings = {name, *SEGMENT_ALIASES.get(name, ())}
        spellings |= {translations(lang).gettext(msgid) for lang in ("zh", "en")}
        lookup.update({_key(s): name for s in spellings})
    return lookup


def find_segment(text: str) -> str | None:
    """The segment named by `text` in either language (or by an alias), or None."""
    return _segment_lookup().get(_key(text))


def tag_label(tag: str, _: Callable[[str], str]) -> str:
    """A tag in the reader's language (known topics translated, others as typed)."""
    return _(TAGS[tag]) if tag in TAGS else tag


@cache
def _tag_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for key, msgid in TAGS.items():
        spellings = {key, *(translations(lang).gettext(msgid) for lang in ("zh", "en"))}
        lookup.update({_key(s): key for s in spellings})
    return lookup


def canonical_tag(tag: str) -> str:
    """A known topic's key for its name in either language; any other tag unchanged."""
    return _tag_lookup().get(_key(tag), tag)
