"""Names organizers read in /stats: segments and uplift verdicts, in their language."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.campaigns.uplift import LOWERED, NO_HOLDOUT, RAISED, UNCLEAR
from bot.common.i18n import N_
from bot.common.labels import segment_label  # noqa: F401 (re-exported)

# recommender.model.fit_pairs's reason for falling back to the prior (stored in English).
_PRIOR_RE = re.compile(r"^prior: only (\d+) past salons and (\d+) signups \(need (\d+) and (\d+)\)")
_MODEL_RE = re.compile(
    r"^model: gradient boosting on (\d+) pairs from (\d+) salons"
    r"(, calibrated)?(?:, negatives sampled at ([0-9.]+))?$"
)
VERDICTS = {
    RAISED: N_("the invitations brought more signups than the holdout shows without them."),
    LOWERED: N_("the invited signed up less often than the holdout."),
    UNCLEAR: N_(
        "too early to tell: the interval includes zero, so the difference may be "
        "chance. More members (or a larger holdout) narrow it."
    ),
    NO_HOLDOUT: N_("no holdout, so the effect cannot be measured."),
}


def verdict_text(verdict: str, _: Callable[[str], str]) -> str:
    """The plain-words verdict on a campaign's uplift."""
    return _(VERDICTS[verdict])


def prior_reason_text(reason: str | None, _: Callable[[str], str]) -> str:
    """Why the model fell back to the prior, in the reader's language (unknown reasons as-is)."""
    match = _PRIOR_RE.match(reason or "")
    if match is None:
        return reason or "—"
    salons, signups, need_salons, need_signups = match.groups()
    return _(
        "only {salons} past salons and {signups} signups so far; a model needs "
        "{need_salons} and {need_signups}, until then the estimate is the base rate "
        "× engagement × topic affinity"
    ).format(salons=salons, signups=signups, need_salons=need_salons, need_signups=need_signups)


def model_reason_text(reason: str | None, _: Callable[[str], str]) -> str:
    """What the last training produced (model or prior), in the reader's language."""
    match = _MODEL_RE.match(reason or "")
    if match is None:
        if _PRIOR_RE.match(reason or ""):
            return _("prior: {why}").format(why=prior_reason_text(reason, _))
        return reason or "—"
    pairs, salons, calibrated, rate = match.groups()
    text = _("model: gradient boosting on {pairs} member–salon pairs from {salons} salons").format(
        pairs=pairs, salons=salons
    )
    if calibrated:
        text += _(", calibrated")
    if rate:
        text += _(", negatives sampled at {rate}").format(rate=rate)
    return text
