"""What /plan says: each plan's forecast, the best plan and why, and planning advice."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.common.formatting import local_time
from bot.common.i18n import N_, translations
from bot.common.labels import segment_label, tag_label
from bot.plans.service import PlanReport
from bot.seats.money import format_amount
from storage.currencies import exponent

MAX_MESSAGE = 4096
USAGE = N_(
    "Compare 2 to 6 plans of a salon before you publish one: send /plan and then one plan per "
    "line, in the one-line /newsalon form:\n"
    "<title> | <YYYY-MM-DD HH:MM> | <capacity> [| <location> [| <tags separated by ;> "
    "[| <price>]]]"
)
WEEKDAYS = (N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"), N_("Friday"),
            N_("Saturday"), N_("Sunday"))  # fmt: skip


def _n(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def plan_block(index: int, option, timezone: str, language: str) -> str:
    """One plan's forecast, a few lines."""
    _ = translations(language).gettext
    lines = [
        f"{index + 1}. {option.title} · {local_time(option.starts_at, timezone, language)}",
        _("Expected signups: {expected} (80 % likely {low}–{high})").format(
            expected=_n(option.expected_signups), low=_n(option.signups_low),
            high=_n(option.signups_high)),
        _("Expected attendance: {attendance} (after no-shows)").format(
            attendance=_n(option.expected_attendance)),
    ]  # fmt: skip
    if option.price[0]:
        revenue = round(option.expected_revenue * 10 ** exponent(option.price[1]))
        lines.append(_("Expected revenue: {revenue}").format(
            revenue=format_amount(revenue, option.price[1])))  # fmt: skip
    if option.waitlist >= 0.5:
        lines.append(_("Likely full: about {waitlist} on the waitlist for {capacity} seats")
                     .format(waitlist=_n(option.waitlist), capacity=option.capacity))  # fmt: skip
    else:
        lines.append(_("About {left} of {capacity} seats likely left").format(
            left=_n(option.seats_left), capacity=option.capacity))  # fmt: skip
    drawn = [(name, value) for name, value in option.segments.items() if value >= 0.5][:3]
    if drawn:
        lines.append(_("Draws mostly: {segments}").format(
            segments=", ".join(f"{segment_label(name, _)} ~{_n(value)}"
                               for name, value in drawn)))  # fmt: skip
    return "\n".join("   " + line if i else line for i, line in enumerate(lines))


def report_text(report: PlanReport, community_title: str, timezone: str, language: str) -> str:
    """The whole reply: every plan, the best with its reason, the advice."""
    _ = translations(language).gettext
    blocks = [_("Forecast for {community}:").format(community=community_title)]
    blocks += [plan_block(i, o, timezone, language) for i, o in enumerate(report.options)]
    best = report.options[report.best]
    if report.basis == "revenue":
        reason = _("Best: plan {n}, because it is expected to bring the most revenue.")
    else:
        reason = _("Best: plan {n}, because it is expected to bring the most people.")
    blocks.append("🏆 " + reason.format(n=report.best + 1) + f" ({best.title})")
    advice = []
    if report.slot is not None:
        weekday, hour = report.slot
        advice.append(_("Best time for this community: {weekday} around {hour}:00.").format(
            weekday=_(WEEKDAYS[weekday]), hour=hour))  # fmt: skip
    if report.tags:
        tags = ", ".join(tag_label(tag, _) for tag in report.tags)
        advice.append(_("Topics with unmet demand: {tags}.").format(tags=tags))
    if advice:
        blocks.append("💡 " + "\n".join(advice))
    return "\n\n".join(blocks)[:MAX_MESSAGE]


def draft_markup(count: int, nonce: str, best: int, language: str) -> InlineKeyboardMarkup:
    """One button per plan: make it a draft salon."""
    _ = translations(language).gettext
    rows = [[InlineKeyboardButton(
        ("🏆 " if i == best else "📝 ") + _("Draft plan {n}").format(n=i + 1),
        callback_data=callbacks.plan(nonce, i))] for i in range(count)]  # fmt: skip
    return InlineKeyboardMarkup(rows)
