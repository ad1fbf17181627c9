""" "Message attendees": one text from the organizer to a salon's members, through the outbox.

From the salon's card: `O:msg:<salon>` asks for the text (a reply to the bot's prompt); the
bot shows it as members will read it with how many will get it, and sends only after
`O:go:<salon>:<0|1>` (0: members going, 1: also those offered a seat or waiting). The outbox
dispatcher paces the messages (Telegram's rate limits); the same text twice is queued once.
"""

from __future__ import annotations

import hashlib

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.common.context import Context
from bot.common.i18n import pick_language, translations
from bot.salons.access import STALE_BUTTON, managed_salon, tell
from storage.models.salons import GOING, OFFERED, SALON_CANCELLED, SALON_DRAFT, WAITLIST
from storage.outbox import enqueue
from storage.salon_admin import Recipient, list_salon_recipients

DRAFT = "broadcast"
MAX_TEXT = 3500


def parse(data: str | None) -> tuple[str, int, bool] | None:
    """(action, salon id, with waitlist) from `O:msg|go|no:<salon>[:0|1]` data, or None."""
    parsed = callbacks.parse(data, callbacks.ORGANIZE)
    if parsed is None or parsed.action not in ("msg", "go", "no"):
        return None
    numbers = parsed.numbers
    if not 1 <= len(numbers) <= 2 or numbers[0] <= 0 or (numbers[1:] or (0,))[0] not in (0, 1):
        return None
    return parsed.action, numbers[0], numbers[1:] == (1,)


def audience(people: list[Recipient], with_waitlist: bool) -> list[Recipient]:
    """Members going; with the waitlist, also those offered a seat or waiting."""
    wanted = (GOING, OFFERED, WAITLIST) if with_waitlist else (GOING,)
    return [p for p in people if p.status in wanted]


def member_text(title: str, text: str, language: str) -> str:
    """The message as a member reads it."""
    _ = translations(language).gettext
    quoted = f"「{title}」" if language == "zh" else f"«{title}»"
    head = _("📣 A message from the organizers of {title}:").format(title=quoted)
    return f"{head}\n\n{text}"


async def on_button(update: Update, context: Context) -> None:
    """O:msg (ask for the text), O:go (send), O:no (drop the draft)."""
    _ = context.gettext(update)
    parsed = parse(update.callback_query.data)
    if parsed is None:
        await tell(update, _(STALE_BUTTON))
        return
    action, salon_id, with_waitlist = parsed
    found = await managed_salon(update, context, salon_id)
    if found is None:
        return
    salon = found[0]
    if salon.status in (SALON_CANCELLED, SALON_DRAFT):
        await tell(update, _("Only members of a published salon can be messaged."))
        return
    if action == "msg":
        await update.callback_query.answer()
        prompt = await update.effective_chat.send_message(
            _("Reply to this message with the text for the members of «{title}». You will see "
              "it and how many members get it before anything is sent.").format(
                title=salon.title),
            reply_markup=ForceReply(input_field_placeholder=_("Your message")),
        )  # fmt: skip
        context.user_data[DRAFT] = {"salon_id": salon.id, "prompt_id": prompt.message_id}
        return
    draft = context.user_data.get(DRAFT) or {}
    if draft.get("salon_id") != salon.id or "text" not in draft:
        await tell(update, _(STALE_BUTTON))
        return
    if action == "no":
        context.user_data.pop(DRAFT, None)
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(_("Not sent."))
        return
    queued = await _queue(context, salon, draft["text"], with_waitlist)
    context.user_data.pop(DRAFT, None)
    await update.callback_query.answer()
    await update.callback_query.edit_message_text(
        _("Queued for {count} members; they get it within minutes.").format(count=queued)
    )


async def _queue(context: Context, salon, text: str, with_waitlist: bool) -> int:
    community = context.config.community(salon.community_id)
    default = community.language if community else "en"
    digest = hashlib.sha1(text.encode()).hexdigest()[:12]
    queued = 0
    async with context.db.begin() as session:
        people = audience(await list_salon_recipients(salon.id, session=session), with_waitlist)
        for person in people:
            language = pick_language(person.language_code, default)
            queued += await enqueue(
                f"broadcast:{salon.id}:{digest}:{person.user_id}", session=session,
                kind="broadcast", chat_id=person.user_id, user_id=person.user_id,
                salon_id=salon.id, payload={"text": member_text(salon.title, text, language)},
            )  # fmt: skip
    return queued


async def draft_message(update: Update, context: Context) -> None:
    """The organizer's reply to the prompt: show the message as sent, with the counts."""
    draft = context.user_data.get(DRAFT)
    message = update.effective_message
    if draft is None or message.reply_to_message.message_id != draft.get("prompt_id"):
        return
    _ = context.gettext(update)
    found = await managed_salon(update, context, draft["salon_id"])
    if found is None:
        context.user_data.pop(DRAFT, None)
        return
    salon = found[0]
    text = message.text[:MAX_TEXT]
    draft["text"] = text
    async with context.db.begin() as session:
        people = await list_salon_recipients(salon.id, session=session)
    going, everyone = len(audience(people, False)), len(audience(people, True))
    going_label = "✅ " + _("Send to {count} going").format(count=going)
    buttons = [
        [InlineKeyboardButton(going_label, callback_data=callbacks.organize("go", salon.id, 0))]
    ]
    if everyone > going:
        label = "✅ " + _("Send to {count} (with the waitlist)").format(count=everyone)
        with_waitlist = callbacks.organize("go", salon.id, 1)
        buttons.append([InlineKeyboardButton(label, callback_data=with_waitlist)])
    cancel = callbacks.organize("no", salon.id)
    buttons.append([InlineKeyboardButton("❌ " + _("Cancel"), callback_data=cancel)])
    preview = _("Preview: {going} members going ({waiting} more offered a seat or waiting) "
                "will read:").format(going=going, waiting=everyone - going)  # fmt: skip
    body = member_text(salon.title, text, context.language(update))
    await message.reply_text(f"{preview}\n\n{body}", reply_markup=InlineKeyboardMarkup(buttons))
