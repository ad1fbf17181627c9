"""What invitations say: the personal message to a member and the organizer's preview."""

from __future__ import annotations

from dataclasses import dataclass, replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.common.config import Config
from bot.common.formatting import local_time
from bot.common.i18n import translations
from bot.common.labels import segment_label, tag_label
from bot.salons.member_texts import community_zone, place, seats_text, when
from recommender.selection import HOLDOUT_SHARES
from storage.models import Salon

MIN_STEPS = (0.0, 0.1, 0.2, 0.3, 0.5)


def _quoted(title: str, language: str) -> str:
    return f"「{title}」" if language == "zh" else f"«{title}»"


def why_line(config: Config, salon: Salon, language: str, kind: str, detail: str) -> str:
    """The one honest line on why this member is invited (from their own data only)."""
    _ = translations(language).gettext
    if kind == "talks":
        return _(
            "You often talk about “{topic}” in the group, so this one may interest you."
        ).format(topic=detail)
    if kind == "tags":
        joiner = "、" if language == "zh" else ", "
        return _("You have come to salons about {topics} before.").format(
            topics=joiner.join(tag_label(t, _) for t in detail.split(";"))
        )
    if kind == "recent":
        return _("You came to {title} lately.").format(title=_quoted(detail, language))
    community = config.community(salon.community_id)
    return _(
        "I am inviting some members of {community} who might enjoy it; no pressure at all."
    ).format(community=community.title if community else "")


def invitation_keyboard(salon: Salon, language: str) -> InlineKeyboardMarkup:
    """Join / Not this time / Stop invitations (`I:j|n|x:<salon id>`)."""
    _ = translations(language).gettext
    no_data, stop_data = callbacks.invite("n", salon.id), callbacks.invite("x", salon.id)
    join = InlineKeyboardButton("✅ " + _("Join"), callback_data=callbacks.invite("j", salon.id))
    not_now = InlineKeyboardButton(_("Not this time"), callback_data=no_data)
    stop = InlineKeyboardButton(_("Stop invitations"), callback_data=stop_data)
    return InlineKeyboardMarkup([[join, not_now], [stop]])


def invitation_payload(
    config: Config, salon: Salon, language: str, name: str, kind: str, detail: str
) -> dict:
    """sendMessage parameters of one member's invitation, in their language."""
    _ = translations(language).gettext
    head = (
        _("Hi {name}! You are invited to {title}.")
        if name
        else _("Hello! You are invited to {title}.")
    ).format(  # fmt: skip
        name=name, title=_quoted(salon.title, language)
    )
    lines = [head, "🕒 " + when(config, salon, language), *place(config, salon, language)]
    lines.append("🪑 " + seats_text(salon, language))
    text = "\n".join(lines) + "\n\n" + why_line(config, salon, language, kind, detail)
    return {"text": text[:4096], "reply_markup": invitation_keyboard(salon, language).to_dict()}


@dataclass(frozen=True)
class Audience:
    """The organizer's narrowing of a campaign: the state the preview buttons carry."""

    min_probability: float = 0.0
    max_invitations: int | None = None
    segments: tuple[str, ...] | None = None  # None: every segment
    holdout: float | None = None  # the control group's share; None: [campaigns] holdout_share

    def mask(self, names: list[str]) -> int:
        """The chosen segments as bits over `names` (0: all)."""
        if self.segments is None:
            return 0
        return sum(1 << i for i, name in enumerate(names) if name in self.segments) or 0

    def data(self, action: str, salon_id: int, names: list[str]) -> str:
        """Callback data `I:<action>:<salon>:<min %>:<max>:<mask>[:<holdout %>]`."""
        top = self.max_invitations or 0
        percent = round(self.min_probability * 100)
        extra = () if self.holdout is None else (round(self.holdout * 100),)
        return callbacks.invite(action, salon_id, percent, top, self.mask(names), *extra)

    def but(self, **changes) -> Audience:
        """A copy with some fields changed."""
        return replace(self, **changes)


def audience_from(numbers: list[int], names: list[str]) -> Audience | None:
    """The audience in preview callback numbers [min %, max, mask(, holdout %)]; None when out
    of range."""
    percent, top, mask = numbers[:3]
    if not 0 <= percent <= 100 or top < 0 or mask < 0 or mask >= 1 << max(len(names), 1):
        return None
    holdout = None
    if len(numbers) > 3:
        if round(numbers[3] / 100, 2) not in HOLDOUT_SHARES:
            return None
        holdout = numbers[3] / 100
    chosen = tuple(n for i, n in enumerate(names) if mask >> i & 1) if mask else None
    return Audience(percent / 100, top or None, chosen, holdout)


@dataclass(frozen=True)
class PreviewFigures:
    """What the preview shows."""

    eligible: int
    eligible_by_segment: dict[str, int]
    invited: int
    invited_by_segment: dict[str, int]
    holdout: int
    expected: tuple[float, float, float]
    free_seats: int | None
    window_ends_at: object
    names: list[str]
    holdout_share: float = 0.1
    detectable: float | None = None  # smallest uplift detectable (80 % power) with this holdout


def preview_text(
    config: Config, salon: Salon, audience: Audience, figures: PreviewFigures, language: str
) -> str:
    """The organizer's preview of a campaign before anything is sent."""
    _ = translations(language).gettext
    zone, _default = community_zone(config, salon)
    messaging = config.messaging

    def by_segment(counts: dict[str, int]) -> str:
        ordered = sorted(counts.items())
        return " · ".join(f"{segment_label(n, _)} {count}" for n, count in ordered) or "—"

    mean, low, high = figures.expected
    if messaging.quiet_hours_start != messaging.quiet_hours_end:
        window = _("Send window: until {end}, each member at their most active hour, never "
                   "between {quiet_start} and {quiet_end}. A further wave goes out every "
                   "{hours:g} hours while signups stay below the target.")  # fmt: skip
    else:  # equal start and end: no quiet hours
        window = _("Send window: until {end}, each member at their most active hour (no quiet "
                   "hours are set). A further wave goes out every {hours:g} hours while "
                   "signups stay below the target.")  # fmt: skip
    seats = (_("no seat limit") if figures.free_seats is None else
             _("{count} free seats").format(count=figures.free_seats))  # fmt: skip
    lines = [
        _("Invitations for {title} ({time})").format(
            title=_quoted(salon.title, language), time=when(config, salon, language)
        ),
        "",
        _("Eligible members: {count} ({segments})").format(
            count=figures.eligible, segments=by_segment(figures.eligible_by_segment)
        ),
        _("First wave: {count} invited ({segments})").format(
            count=figures.invited, segments=by_segment(figures.invited_by_segment)
        ),
        _("Held out as a control group: {count} ({share:.0%} of those chosen)").format(
            count=figures.holdout, share=figures.holdout_share
        ),
        (
            _(
                "With this holdout the campaign can detect an uplift of {uplift:.0%} or more "
                "(80 % power); a bigger holdout detects smaller ones."
            ).format(uplift=figures.detectable)
            if figures.detectable is not None
            else _("Without a holdout the uplift cannot be measured.")
        ),
        _("Expected signups: {mean:.1f} (90% interval {low:.1f}–{high:.1f}) for {seats}").format(
            mean=mean, low=low, high=high, seats=seats
        ),
        window.format(
            end=local_time(figures.window_ends_at, zone, language),
            quiet_start=messaging.quiet_hours_start.strftime("%H:%M"),
            quiet_end=messaging.quiet_hours_end.strftime("%H:%M"),
            hours=config.campaigns.wave_hours,
        ),
        _("Filters: probability at least {min:.0%}; {limit}; segments: {segments}.").format(
            min=audience.min_probability,
            limit=_("at most {count} invitations").format(count=audience.max_invitations)
            if audience.max_invitations
            else _("no limit on the number of invitations"),
            segments=("、" if language == "zh" else ", ").join(
                segment_label(n, _) for n in audience.segments
            )
            if audience.segments
            else _("all"),
        ),
    ]
    return "\n".join(lines)


def preview_keyboard(
    salon: Salon,
    audience: Audience,
    names: list[str],
    language: str,
    *,
    can_send: bool,
    holdout_share: float = 0.1,
) -> InlineKeyboardMarkup:
    """Send / Cancel, the minimum-probability step and one toggle per segment."""
    _ = translations(language).gettext
    rows = []
    if can_send:
        send = InlineKeyboardButton(
            "✅ " + _("Send invitations"), callback_data=audience.data("go", salon.id, names)
        )
        rows.append([send])
    following = [m for m in MIN_STEPS if m > audience.min_probability + 1e-9]
    step = following[0] if following else MIN_STEPS[0]
    stepped = audience.but(min_probability=step)
    rows.append([InlineKeyboardButton(
        _("Minimum probability: {value:.0%} ▸ {next:.0%}").format(
            value=audience.min_probability, next=step),
        callback_data=stepped.data("pv", salon.id, names))])  # fmt: skip
    toggles = []
    for name in names[:8]:
        chosen = set(audience.segments) if audience.segments is not None else set(names)
        flipped = chosen ^ {name}
        segments = None if flipped == set(names) else tuple(n for n in names if n in flipped)
        if not flipped:
            continue
        after = audience.but(segments=segments)
        mark = "☑" if name in chosen else "☐"
        data = after.data("pv", salon.id, names)
        label = f"{mark} {segment_label(name, _)}"[:30]
        toggles.append(InlineKeyboardButton(label, callback_data=data))
    rows += [toggles[i : i + 3] for i in range(0, len(toggles), 3)]

    def mark(share: float) -> str:
        return "● " if abs(share - holdout_share) < 1e-9 else ""

    rows.append([InlineKeyboardButton(
        mark(share) + _("Holdout {share:.0%}").format(share=share),
        callback_data=audience.but(holdout=share).data("pv", salon.id, names))
        for share in HOLDOUT_SHARES])  # fmt: skip
    rows.append(
        [InlineKeyboardButton("❌ " + _("Cancel"), callback_data=callbacks.invite("no", salon.id))]
    )
    return InlineKeyboardMarkup(rows)
