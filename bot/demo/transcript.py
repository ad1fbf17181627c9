"""The demo's readable transcript: narration, what people told the bot, what the bot sent."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from bot.common.i18n import translations
from bot.sandbox.server import Call, invoice_total
from bot.seats.money import format_amount

INDENT = "     "


def _buttons(params: dict) -> list[str]:
    markup = params.get("reply_markup") or {}
    rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
    return [INDENT + " ".join(f"[{b['text']}]" for b in row) for row in rows]


def _quote(text: str) -> list[str]:
    return [f"{INDENT}│ {line}" if line else f"{INDENT}│" for line in str(text).splitlines()]


class Transcript:
    """Prints to the terminal as the demo goes and keeps a copy for transcript.txt."""

    def __init__(self, language: str, stream: TextIO | None = None) -> None:
        self.language = language
        self.gettext = translations(language).gettext
        self.names: dict[int, str] = {}
        self.lines: list[str] = []
        self._stream = stream or sys.stdout

    def write(self, line: str = "") -> None:
        """One line, printed at once."""
        self.lines.append(line)
        print(line, file=self._stream, flush=True)

    def save(self, path: Path) -> None:
        """Write everything printed so far to `path`."""
        path.write_text("\n".join(self.lines) + "\n", encoding="utf-8")

    # -- narration ---------------------------------------------------------------------------
    def heading(self, text: str) -> None:
        """A step's title."""
        self.write()
        self.write(f"━━ {text} ━━")

    def note(self, text: str) -> None:
        """A line of narration."""
        self.write(f"· {text}")

    def later(self, text: str) -> None:
        """Time travel, e.g. '— 2 days later —'."""
        self.write()
        self.write(f"— {text} —")

    def more(self, count: int, text: str) -> None:
        """'… and N more' after a few examples (nothing when N is 0)."""
        if count > 0:
            self.write(f"{INDENT}… {text}")

    # -- people ------------------------------------------------------------------------------
    def says(self, user_id: int, text: str) -> None:
        """A person sent the bot a message."""
        self.write(f"👤 {self.names.get(user_id, user_id)} → bot: {text}")

    def presses(self, user_id: int, label: str) -> None:
        """A person pressed a button."""
        _ = self.gettext
        self.write("👤 " + _("{name} presses [{button}]").format(
            name=self.names.get(user_id, user_id), button=label))  # fmt: skip

    def pays(self, user_id: int, invoice: dict) -> None:
        """A person pays an invoice in the Telegram app."""
        _ = self.gettext
        amount = format_amount(invoice_total(invoice), invoice.get("currency", ""))
        self.write("👤 " + _("{name} pays {amount} in Telegram").format(
            name=self.names.get(user_id, user_id), amount=amount))  # fmt: skip

    def votes(self, user_id: int, option: str) -> None:
        """A person voted in a poll."""
        _ = self.gettext
        self.write("👤 " + _("{name} votes “{option}”").format(
            name=self.names.get(user_id, user_id), option=option))  # fmt: skip

    # -- the bot -----------------------------------------------------------------------------
    def bot(self, calls: Iterable[Call], pressed_by: dict[str, int] | None = None) -> None:
        """Render the bot's Bot API calls that people would see."""
        for call in calls:
            for line in self.render(call, pressed_by or {}):
                self.write(line)

    def render(self, call: Call, pressed_by: dict[str, int]) -> list[str]:
        """The lines one call shows (none for calls people do not see)."""
        _ = self.gettext
        p = call.params
        who = self.names.get(p.get("chat_id"), p.get("chat_id"))
        if call.method == "sendMessage":
            return [f"🤖 bot → {who}:", *_quote(p.get("text", "")), *_buttons(p)]
        if call.method == "editMessageText":
            head = _("bot edits its message to {name}:").format(name=who)
            return [f"🤖 {head}", *_quote(p.get("text", "")), *_buttons(p)]
        if call.method == "sendDocument":
            document = p.get("document") or {}
            name = document.get("filename", "") if isinstance(document, dict) else ""
            return [f"🤖 bot → {who}: 📎 {name} {p.get('caption', '')}".rstrip()]
        if call.method == "sendPoll":
            options = [o["text"] if isinstance(o, dict) else str(o) for o in p.get("options", [])]
            return [f"🤖 bot → {who}: 📊 {p.get('question', '')}", INDENT + "  ".join(
                f"○ {o}" for o in options)]  # fmt: skip
        if call.method == "sendPhoto":
            photo = p.get("photo") or {}
            name = photo.get("filename", "") if isinstance(photo, dict) else ""
            return [f"🤖 bot → {who}: 🖼 {name} {p.get('caption', '')}".rstrip()]
        if call.method == "sendInvoice":
            amount = format_amount(invoice_total(p), p.get("currency", ""))
            head = _("invoice “{title}”: {amount}").format(title=p.get("title", ""), amount=amount)
            return [f"🤖 bot → {who}: 🧾 {head}", *_quote(p.get("description", "")),
                    INDENT + "[" + _("Pay {amount}").format(amount=amount) + "]"]  # fmt: skip
        if call.method == "answerPreCheckoutQuery":
            answer = _("yes") if p.get("ok") else _("no: {reason}").format(
                reason=p.get("error_message", ""))  # fmt: skip
            return ["🤖 " + _("bot answers Telegram's pre-checkout query: {answer}").format(
                answer=answer)]  # fmt: skip
        if call.method == "refundStarPayment":
            user = self.names.get(p.get("user_id"), p.get("user_id"))
            return ["🤖 " + _("bot refunds the Stars payment {charge} to {name} "
                             "(refundStarPayment)").format(
                charge=p.get("telegram_payment_charge_id", ""), name=user)]  # fmt: skip
        if call.method == "answerCallbackQuery" and p.get("text"):
            user = self.names.get(pressed_by.get(str(p.get("callback_query_id"))), "")
            return ["🤖 " + _("pop-up for {name}: {text}").format(name=user, text=p["text"])]
        return []
