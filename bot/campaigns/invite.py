"""/invite: an organizer previews, narrows and starts a salon's invitation campaign."""

from __future__ import annotations

import re

from telegram import Update

from bot import callbacks
from bot.campaigns.service import ensure_scores, preview, segment_names, start_campaign
from bot.campaigns.texts import Audience, audience_from, preview_keyboard, preview_text
from bot.common.context import Context
from bot.common.i18n import N_
from bot.common.labels import find_segment, segment_label
from bot.common.roles import organizer_communities
from bot.salons.access import NOT_ORGANIZER, NOT_YOURS, STALE_BUTTON, managed_salon, tell
from bot.salons.input import InputError
from storage.campaigns import count_campaign, get_salon_campaign
from storage.models import Salon
from storage.models.salons import SALON_PUBLISHED
from storage.salons import find_salon
from storage.types import utcnow

USAGE = N_(
    "Send /invite followed by the salon's code, e.g. /invite K7PQ2M. Optionally narrow the "
    "audience: min=0.2 (minimum probability), max=50 (at most 50 invitations), "
    "segments=core,lurkers (segment names in English or Chinese, e.g. segments=活跃,潜水)."
)
# action -> how many numbers it may carry (pv and go: salon, min %, max, mask[, holdout %])
ORGANIZER_ACTIONS = {"pv": (4, 5), "go": (4, 5), "no": (1,)}


def parse_audience(args: list[str]) -> Audience:
    """min=, max= and segments= arguments of /invite (InputError on anything else)."""
    values: dict[str, str] = {}
    for arg in args:
        if "=" not in arg and list(values)[-1:] == ["segments"]:
            values["segments"] += " " + arg  # a name with a space: segments=active talkers
            continue
        key, sep, value = arg.partition("=")
        if not sep or key not in ("min", "max", "segments") or key in values or not value:
            raise InputError(USAGE)
        values[key] = value
    try:
        minimum = float(values.get("min", "0"))
        top = int(values["max"]) if "max" in values else None
    except ValueError:
        raise InputError(USAGE) from None
    if not 0 <= minimum <= 1:
        raise InputError(N_("min= is a probability between 0 and 1, e.g. min=0.2."))
    if top is not None and not 1 <= top <= 100_000:
        raise InputError(N_("max= is a number of invitations, at least 1, e.g. max=50."))
    segments = None
    if "segments" in values:
        typed = [s.strip() for s in re.split(r"[,，、;；]", values["segments"]) if s.strip()]
        # A name in either language or an alias becomes the stored name; anything else stays
        # as typed, so the preview can say which name it did not know.
        names = (find_segment(s) or s for s in typed)
        segments = tuple(dict.fromkeys(names)) or None
    return Audience(minimum, top, segments)


def _closed(_, salon: Salon) -> str | None:
    if salon.status != SALON_PUBLISHED:
        return _("Only published salons can have invitations: publish it first with /salons.")
    if salon.starts_at <= utcnow():
        return _("This salon has already started.")
    return None


async def invite_command(update: Update, context: Context) -> None:
    """/invite CODE [min=0.2] [max=50] [segments=a,b]: the campaign preview, nothing sent."""
    _ = context.gettext(update)
    communities = await organizer_communities(context, update.effective_user.id)
    if not communities:
        await tell(update, _(NOT_ORGANIZER))
        return
    if not context.args:
        await tell(update, _(USAGE))
        return
    try:
        audience = parse_audience(context.args[1:])
    except InputError as error:
        await tell(update, error.text(_))
        return
    async with context.db.begin() as session:
        salon = await find_salon(context.args[0], session=session,
                                 community_ids=[c.chat_id for c in communities])  # fmt: skip
    if salon is None:
        await tell(update, _(NOT_YOURS))
        return
    await show_preview(update, context, salon, audience)


async def show_preview(update: Update, context: Context, salon: Salon, audience: Audience) -> None:
    """Check the salon can have a campaign, then send (or edit into) its preview."""
    _ = context.gettext(update)
    language = context.language(update)
    closed = _closed(_, salon)
    if closed:
        await tell(update, closed)
        return
    async with context.db.begin() as session:
        campaign = await get_salon_campaign(salon.id, session=session)
        counts = await count_campaign(campaign.id, session=session) if campaign else None
    if campaign is not None:
        await tell(update, _("Invitations for this salon were already started: {invited} invited, "
                             "{holdout} held out.").format(invited=counts.invited,
                                                           holdout=counts.holdout))  # fmt: skip
        return
    if not await ensure_scores(context.db, context.config, salon.id):
        await tell(update, _("There are no predictions for this salon yet, so I cannot choose "
                             "whom to invite. Try again after the nightly training."))  # fmt: skip
        return
    figures = await preview(context.db, context.config, salon, audience)
    unknown = sorted(set(audience.segments or ()) - set(figures.names))
    if unknown:
        comma = "、" if language == "zh" else ", "
        known = comma.join(segment_label(n, _) for n in figures.names) or "—"
        await tell(update, _("Unknown segment: {names}. Segments among eligible members: "
                             "{known}.").format(names=comma.join(unknown),
                                                known=known))  # fmt: skip
        return
    text = preview_text(context.config, salon, audience, figures, language)
    if figures.invited == 0:
        text += "\n\n" + _("Nobody would be invited with these settings.")
    markup = preview_keyboard(salon, audience, figures.names, language,
                              can_send=figures.invited > 0,
                              holdout_share=figures.holdout_share)  # fmt: skip
    if update.callback_query is not None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    else:
        await update.effective_message.reply_text(text, reply_markup=markup)


async def on_button(update: Update, context: Context) -> None:
    """I:pv (narrow), I:go (send), I:no (cancel): re-checks the organizer on every press."""
    _ = context.gettext(update)
    parsed = callbacks.parse(update.callback_query.data, callbacks.INVITE)
    if parsed is None or len(parsed.numbers) not in ORGANIZER_ACTIONS.get(parsed.action, ()):
        await tell(update, _(STALE_BUTTON))
        return
    action, numbers = parsed.action, parsed.numbers
    found = await managed_salon(update, context, numbers[0])
    if found is None:
        return
    salon = found[0]
    if action == "no":
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(_("Cancelled: no invitations were sent."))
        return
    names = await segment_names(context.db, context.config, salon)
    audience = audience_from(numbers[1:], names)
    if audience is None:
        await tell(update, _(STALE_BUTTON))
        return
    if action == "pv":
        await show_preview(update, context, salon, audience)
        return
    closed = _closed(_, salon)
    if closed:
        await tell(update, closed)
        return
    started = await start_campaign(context.db, context.config, salon.id, audience,
                                   created_by=update.effective_user.id)  # fmt: skip
    if started is None:
        await tell(update, _("This salon is no longer open for signups."))
        return
    if not started.created:
        await tell(update, _("Invitations for this salon were already started."))
        return
    await update.callback_query.answer(_("Started!"))
    await update.callback_query.edit_message_text(
        _("Invitations started for «{title}»: {queued} queued, {holdout} held out as the "
          "control group. They go out at each member's most active hour; further waves follow "
          "while signups stay below the target.").format(
            title=salon.title, queued=started.queued, holdout=started.holdout)
    )  # fmt: skip
