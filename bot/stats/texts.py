"""/stats as text: the figures of storage.stats in the organizer's language."""

from __future__ import annotations

from collections.abc import Callable

from bot.campaigns.uplift import CampaignUplift
from bot.common.formatting import local_time
from bot.common.i18n import translations
from bot.seats.money import format_amount
from bot.stats.labels import prior_reason_text, segment_label, verdict_text
from recommender.selection import invitations_per_signup, pooled_uplift
from storage.revenue import Money, Revenue
from storage.stats import CommunityStats
from storage.stats_salons import ModelFigures, SalonFunnel

MAX_SALONS = 6  # in the text; the JSON, the chart and /export have them all


def _change(now: int, before: int, _: Callable[[str], str]) -> str:
    if before == 0:
        return _("new") if now else "±0"
    return f"{(now - before) / before:+.0%}"


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "—"


def community_text(stats: CommunityStats, language: str) -> str:
    """The whole /stats message for a community (well under Telegram's 4096 characters)."""
    _ = translations(language).gettext
    s = stats
    lines = [
        _("📊 {title}: the last {days} days (since {start}, days in {timezone})").format(
            title=s.title, days=s.days, start=s.period_start.isoformat(), timezone=s.timezone
        ),
        "",
        _("👥 Community"),
        _(
            "Members known: {known}; reachable by private message: {reachable} ({share}). "
            "Invitations can only reach these."
        ).format(
            known=s.members_known,
            reachable=s.members_reachable,
            share=_share(s.members_reachable, s.members_known),
        ),
        _("Active (wrote or reacted): {week} in 7 days, {month} in 30 days.").format(
            week=s.active_members_7d, month=s.active_members_30d
        ),
        _(
            "Messages: {messages} ({mchange} against the previous {days} days); reactions: "
            "{reactions} ({rchange})."
        ).format(
            messages=s.messages_period,
            mchange=_change(s.messages_period, s.messages_previous, _),
            days=s.days,
            reactions=s.reactions_period,
            rchange=_change(s.reactions_period, s.reactions_previous, _),
        ),
        _("All time: {messages} messages, {reactions} reactions.").format(
            messages=s.messages_total, reactions=s.reactions_total
        ),
        _("New members: {new}; left: {left}.").format(new=s.new_members, left=s.departed_members),
    ]
    if s.referrals_started:
        lines.append(
            _("Friends brought with /invitefriend: {started}; came to a salon: {came}.").format(
                started=s.referrals_started, came=s.referrals_attended
            )
        )
    if s.segments:
        parts = [
            f"{segment_label(n, _)} {c}" for n, c in sorted(s.segments.items(), key=lambda i: -i[1])
        ]
        comma = "、" if language == "zh" else ", "
        lines.append(_("Segments: {segments}.").format(segments=comma.join(parts)))
    lines += ["", _("🎟 Salons")]
    if not s.salons:
        lines.append(_("No salons in this period."))
    uplifts = {u.salon_id: u for u in s.uplift}
    for funnel in s.salons[-MAX_SALONS:]:
        lines += salon_lines(funnel, uplifts.get(funnel.salon_id), s.timezone, language)
    pooled = pooled_uplift(
        (u.uplift.invited_signups, u.uplift.invited, u.uplift.holdout_signups, u.uplift.holdout)
        for u in s.uplift
    )
    if len(s.uplift) > 1 and pooled.uplift is not None:
        lines.append(
            _("All {count} campaigns pooled: uplift {uplift:+.1%} (95 % interval {low:+.1%} to "
              "{high:+.1%})").format(count=len(s.uplift), uplift=pooled.uplift, low=pooled.low,
                                     high=pooled.high)
        )  # fmt: skip
    hidden = len(s.salons) - MAX_SALONS
    if hidden > 0:
        lines.append(
            _("… and {count} earlier salons (all of them in /export).").format(count=hidden)
        )
    lines += ["", *model_lines(s.model, s.timezone, language)]
    lines += ["", *revenue_lines(s.revenue, language)]
    return "\n".join(lines)


def revenue_lines(revenue: Revenue, language: str) -> list[str]:
    """Gross, refunds and net per currency over the period, then per salon."""
    _ = translations(language).gettext
    if not revenue.currencies:
        return [_("💰 Revenue: no payments in this period.")]
    lines = []
    for money in revenue.currencies:
        line = _("💰 Revenue: gross {gross}, refunds {refunds}, net {net} ({count} payments).")
        lines.append(line.format(**_amounts(money), count=money.payments))
        if money.refunds_pending:
            lines.append(_("  {pending} of the refunds are still being sent.").format(
                pending=format_amount(money.refunds_pending, money.currency)))  # fmt: skip
    for money in revenue.salons[-MAX_SALONS:]:
        line = _("  • «{title}» ({code}): gross {gross}, refunds {refunds}, net {net}")
        lines.append(line.format(title=money.title, code=money.code, **_amounts(money)))
    return lines


def _amounts(money: Money) -> dict[str, str]:
    return {
        "gross": format_amount(money.gross, money.currency),
        "refunds": format_amount(money.refunds, money.currency),
        "net": format_amount(money.net, money.currency),
    }


def salon_lines(
    f: SalonFunnel, uplift: CampaignUplift | None, timezone: str, language: str
) -> list[str]:
    """One salon's funnel, turnout and uplift."""
    _ = translations(language).gettext
    lines = [
        f"• «{f.title}» {local_time(f.starts_at, timezone, language)} ({f.code})",
        _(
            "  invited {invited}, holdout {holdout}; joined {joined} (by invitation "
            "{by_invitation}, by themselves {by_self}); waitlist {waitlisted}"
        ).format(
            invited=f.invited,
            holdout=f.holdout,
            joined=f.joined,
            by_invitation=f.joined_by_invitation,
            by_self=f.joined_by_self,
            waitlisted=f.waitlisted,
        ),
        _(
            "  attended {attended}, no-show {no_show} (attendance {rate}); rated {rated}, "
            "average {average}"
        ).format(
            attended=f.attended,
            no_show=f.no_show,
            rate=_share(f.attended, f.attended + f.no_show),
            rated=f.rated,
            average=f"{f.rating_avg:.1f}" if f.rating_avg is not None else "—",
        ),
    ]
    if f.predicted_turnout is not None:
        lines.append(
            _("  predicted signups of the invited {predicted:.1f}, actual {actual}").format(
                predicted=f.predicted_turnout, actual=f.invited_signups
            )
        )
    per_signup = invitations_per_signup(f.invited, f.invited_signups)
    if f.invited:
        lines.append(
            _("  invitations per signup {ratio}; invited but waitlisted (over-invited) {over}")
            .format(ratio=f"{per_signup:.1f}" if per_signup is not None else "—",
                    over=f.invited_waitlisted)
        )  # fmt: skip
    if uplift is not None:
        u = uplift.uplift
        if u.uplift is None:
            lines.append(
                "  " + _("Uplift: {verdict}").format(verdict=verdict_text(uplift.verdict, _))
            )
        else:
            lines.append(
                _(
                    "  uplift {uplift:+.1%} (95 % interval {low:+.1%} to {high:+.1%}): {verdict}"
                ).format(
                    uplift=u.uplift, low=u.low, high=u.high, verdict=verdict_text(uplift.verdict, _)
                )
            )
    return lines


def model_lines(model: ModelFigures, timezone: str, language: str) -> list[str]:
    """The model's last run, its AUC against the popularity baseline, and warnings."""
    _ = translations(language).gettext
    lines = [_("🤖 Model")]
    if model.failed_at is not None:
        failure = model.failure or "—"
        failure = failure if len(failure) <= 200 else failure[:199] + "…"
        when = local_time(model.failed_at, timezone, language)
        if model.run_at is None:
            text = _("⚠️ The last training ({time}) failed: {reason}. No model is in use yet.")
        else:
            text = _(
                "⚠️ The last training ({time}) failed: {reason}. The previous model stays in use."
            )
        lines.append(text.format(time=when, reason=failure))
    if model.run_at is None:
        if model.failed_at is not None:
            return lines
        return [
            *lines,
            _(
                "⚠️ No model run yet: predictions use no history. Run `salonbot "
                "train` or wait for the nightly training."
            ),
        ]
    auc = f"{model.auc:.2f}" if model.auc is not None else "—"
    baseline = f"{model.baseline_auc:.2f}" if model.baseline_auc is not None else "—"
    lines.append(
        _(
            "Last run {time}; AUC on the last backtest {auc} (popularity baseline {baseline})."
        ).format(time=local_time(model.run_at, timezone, language), auc=auc, baseline=baseline)
    )
    if model.stale:
        lines.append(
            _("⚠️ The model is stale: its last run was {days:.0f} days ago.").format(
                days=model.age_days
            )
        )
    if model.kind == "prior":
        lines.append(
            _(
                "⚠️ Too little history for a model: predictions fall back to the prior ({reason})."
            ).format(reason=prior_reason_text(model.reason, _))
        )
    return lines


def salon_text(
    funnel: SalonFunnel, uplift: CampaignUplift | None, timezone: str, language: str
) -> str:
    """/stats <salon>: one salon's figures."""
    _ = translations(language).gettext
    lines = [_("🎟 Salon figures"), *salon_lines(funnel, uplift, timezone, language)]
    if funnel.capacity is not None:
        lines.append(_("  seats: {capacity}").format(capacity=funnel.capacity))
    return "\n".join(lines)
