"""What a member reads about a recommended salon: the one honest line on why it is listed."""

from __future__ import annotations

from bot.common.i18n import translations


def reason_line(kind: str, detail: str, language: str) -> str:
    """Why this salon is high on the member's list (from their own signups, or newcomers')."""
    _ = translations(language).gettext
    if kind == "tags":
        joiner = "、" if language == "zh" else ", "
        return _("You joined salons about {topics} before.").format(
            topics=joiner.join(detail.split(";"))
        )
    if kind == "newcomers":
        return _("New members often start with salons like this one.")
    if kind == "popular":
        return _("{count} members have signed up already.").format(count=detail)
    return _("Nothing in your signups points to this one; listed by date.")
