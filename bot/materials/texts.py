"""The materials message: the link of a salon the member missed and the next similar one."""

from __future__ import annotations

from bot import callbacks
from bot.common.config import Config
from bot.common.i18n import translations
from bot.salons.member_texts import one_button, short_title, when
from storage.models import Salon


def _quoted(title: str, language: str) -> str:
    return f"「{title}」" if language == "zh" else f"«{title}»"


def materials_payload(
    config: Config, salon: Salon, url: str, nxt: Salon | None, language: str
) -> dict:
    """sendMessage parameters: the materials link, then the next similar salon to join."""
    _ = translations(language).gettext
    text = _("You could not come to {title}; here are its materials:\n{url}").format(
        title=_quoted(salon.title, language), url=url
    )
    if nxt is None:
        return {"text": text}
    text += "\n\n" + _("Next on a similar topic: {title}, {time}\n/join {code}").format(
        title=_quoted(nxt.title, language), time=when(config, nxt, language), code=nxt.short_code
    )
    label = _("Join: {title}").format(title=short_title(nxt))
    return {"text": text, "reply_markup": one_button(label, callbacks.join(nxt.id)).to_dict()}
