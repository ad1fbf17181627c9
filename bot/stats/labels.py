"""Names organizers read in /stats: segments and uplift verdicts, in their language."""

from __future__ import annotations

from collections.abc import Callable

from bot.campaigns.uplift import LOWERED, NO_HOLDOUT, RAISED, UNCLEAR
from bot.common.i18n import N_

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
VERDICTS = {
    RAISED: N_("the invitations brought more signups than the holdout shows without them."),
    LOWERED: N_("the invited signed up less often than the holdout."),
    UNCLEAR: N_(
        "too early to tell: the interval includes zero, so the difference may be "
        "chance. More members (or a larger holdout) narrow it."
    ),
    NO_HOLDOUT: N_("no holdout, so the effect cannot be measured."),
}


def segment_label(name: str, _: Callable[[str], str]) -> str:
    """A segment's name in the reader's language."""
    return _(SEGMENTS[name]) if name in SEGMENTS else name


def verdict_text(verdict: str, _: Callable[[str], str]) -> str:
    """The plain-words verdict on a campaign's uplift."""
    return _(VERDICTS[verdict])
