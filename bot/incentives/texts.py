"""What members read about points, referrals and the leaderboard."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.common.i18n import translations
from storage.points import Leader

MEDALS = ("🥇", "🥈", "🥉")


def month_name(start: datetime, language: str) -> str:
    """'2026-11' style month label in the reader's language."""
    return f"{start.year}年{start.month}月" if language == "zh" else f"{start:%B %Y}"


def leaderboard_text(language: str, since: datetime, leaders: Sequence[Leader]) -> str:
    """The monthly leaderboard posted in the group (only members who opted in)."""
    _ = translations(language).gettext
    lines = [_("🏆 Most active members in {month} (members who chose to be listed):").format(
        month=month_name(since, language))]  # fmt: skip
    for i, leader in enumerate(leaders):
        mark = MEDALS[i] if i < len(MEDALS) else f"{i + 1}."
        lines.append(_("{mark} {name}: {points} points").format(
            mark=mark, name=leader.first_name or "—", points=leader.points))  # fmt: skip
    lines.append(_("Points come from attending, feedback and bringing friends. Send /me to the "
                   "bot to see yours."))  # fmt: skip
    return "\n".join(lines)
