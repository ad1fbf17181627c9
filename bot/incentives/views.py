"""/me as a member reads it: standing per community, the next salon, leaderboard buttons."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot import callbacks
from bot.common.config import Config
from bot.common.i18n import translations
from bot.incentives.service import Summary
from bot.recommendations.texts import reason_line
from bot.salons.member_texts import when


def me_text(config: Config, summary: Summary, language: str) -> str:
    """Points (total and this month), streak, leaderboard choice, and the next salon."""
    _ = translations(language).gettext
    blocks = []
    for item in summary.communities:
        c = item.community
        lines = [f"「{c.title}」" if language == "zh" else f"«{c.title}»",
                 _("⭐ {points} points ({month} this month)").format(points=item.points,
                                                                     month=item.this_month),
                 _("🔥 Streak: {n} salons in a row").format(n=item.streak)]  # fmt: skip
        if c.points.leaderboard:
            lines.append(_("🏆 On the monthly leaderboard: yes") if item.on_leaderboard
                         else _("🏆 On the monthly leaderboard: no"))  # fmt: skip
        p = c.points
        lines.append(_("Points: {a} for coming (check-in), {f} for feedback, {s} for a whole "
                       "series, {r} for a friend you brought who comes.").format(
            a=p.attended, f=p.feedback, s=p.series, r=p.referral))  # fmt: skip
        blocks.append("\n".join(lines))
    nxt = summary.next_salon
    if nxt is not None:
        title = f"「{nxt.salon.title}」" if language == "zh" else f"«{nxt.salon.title}»"
        blocks.append(
            _("Next for you: {title}, {time}").format(title=title,
                                                      time=when(config, nxt.salon, language))
            + "\n💡 " + reason_line(nxt.kind, nxt.detail, language)
            + f"\n/join {nxt.salon.short_code}"
        )  # fmt: skip
    blocks.append(_("Bring a friend: /invitefriend"))
    return "\n\n".join(blocks)


def me_keyboard(summary: Summary, language: str) -> InlineKeyboardMarkup | None:
    """A list-me / do-not-list-me button per community with a leaderboard."""
    _ = translations(language).gettext
    rows = []
    for item in summary.communities:
        c = item.community
        if not c.points.leaderboard:
            continue
        label = _("Leave the leaderboard of {title}") if item.on_leaderboard else _(
            "Join the leaderboard of {title}")  # fmt: skip
        data = callbacks.points(not item.on_leaderboard, c.chat_id)
        rows.append([InlineKeyboardButton(label.format(title=c.title), callback_data=data)])
    return InlineKeyboardMarkup(rows) if rows else None
