"""Co-organizers: a community organizer names members who may manage one salon, and only it.

`O:co:<salon>` lists them (each with a remove button, `O:rm:<salon>:<user>`) and asks for a
new one as a reply: their @username or Telegram user id (the bot must have seen them). A
co-organizer sees the salon in /salons and can do everything its card offers (edit, cancel,
attendees, check-in, messages), gets its digest and notes, but cannot name others.
"""

from __future__ import annotations

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.common.context import Context
from bot.common.i18n import N_, pick_language, translations
from bot.common.roles import organizer_communities
from bot.salons.access import NOT_YOURS, STALE_BUTTON, managed_salon, tell
from storage.co_organizers import (
    add_co_organizer,
    find_user_id,
    list_co_organizers,
    remove_co_organizer,
)
from storage.models import Salon
from storage.outbox import enqueue
from storage.users import get_user

DRAFT = "co_organizer"
NAMED = N_("🤝 You are now a co-organizer of «{title}»: send /salons to manage it.")


async def _own_salon(update: Update, context: Context, salon_id: int) -> Salon | None:
    """The salon, if this user organizes its community (co-organizers cannot name others)."""
    found = await managed_salon(update, context, salon_id)
    if found is None:
        return None
    communities = await organizer_communities(context, update.effective_user.id)
    if found[0].community_id not in {c.chat_id for c in communities}:
        await tell(update, context.gettext(update)(NOT_YOURS))
        return None
    return found[0]


async def on_button(update: Update, context: Context) -> None:
    """O:co (list and ask for a new one), O:rm (remove one)."""
    _ = context.gettext(update)
    parsed = callbacks.parse(update.callback_query.data, callbacks.ORGANIZE)
    shapes = {"co": 1, "rm": 2}
    if parsed is None or len(parsed.numbers) != shapes.get(parsed.action):
        await tell(update, _(STALE_BUTTON))
        return
    salon = await _own_salon(update, context, parsed.numbers[0])
    if salon is None:
        return
    if parsed.action == "rm":
        async with context.db.begin() as session:
            await remove_co_organizer(salon.id, parsed.numbers[1], session=session)
    await update.callback_query.answer()
    async with context.db.begin() as session:
        people = await list_co_organizers(salon.id, session=session)
    if people:
        buttons = [
            [
                InlineKeyboardButton(
                    "✖️ " + name, callback_data=callbacks.organize("rm", salon.id, uid)
                )
            ]
            for uid, name in people
        ]
        await update.effective_chat.send_message(
            _("Co-organizers of «{title}»: {names}. Tap one to remove them.").format(
                title=salon.title, names=", ".join(name for _uid, name in people)
            ),
            reply_markup=InlineKeyboardMarkup(buttons),
        )
    prompt = await update.effective_chat.send_message(
        _("To name a co-organizer of «{title}» (they can manage this salon only), reply with "
          "their @username or Telegram user id. They must have written to me or in the "
          "group.").format(title=salon.title),
        reply_markup=ForceReply(input_field_placeholder="@username"),
    )  # fmt: skip
    context.user_data[DRAFT] = {"salon_id": salon.id, "prompt_id": prompt.message_id}


async def name_co_organizer(update: Update, context: Context) -> None:
    """A reply to the prompt: add the member as a co-organizer and tell them."""
    draft = context.user_data.get(DRAFT)
    message = update.effective_message
    if draft is None or message.reply_to_message.message_id != draft.get("prompt_id"):
        return
    _ = context.gettext(update)
    salon = await _own_salon(update, context, draft["salon_id"])
    if salon is None:
        context.user_data.pop(DRAFT, None)
        return
    async with context.db.begin() as session:
        user_id = await find_user_id(message.text, session=session)
        if user_id is None:
            await message.reply_text(
                _(
                    "I do not know “{who}”. They must write to me (/start) or in the group first."
                ).format(who=message.text[:64])
            )
            return  # fmt: skip
        added = await add_co_organizer(salon.id, user_id, session=session,
                                       added_by=update.effective_user.id)  # fmt: skip
        user = await get_user(user_id, session=session)
        if added:
            community = context.config.community(salon.community_id)
            language = pick_language(user.language_code, community.language)
            text = translations(language).gettext(NAMED).format(title=salon.title)
            await enqueue(f"co-organizer:{salon.id}:{user_id}", session=session,
                          kind="notice", chat_id=user_id, user_id=user_id, salon_id=salon.id,
                          payload={"text": text})  # fmt: skip
    context.user_data.pop(DRAFT, None)
    name = user.first_name or user.username or str(user_id)
    done = _("{name} is now a co-organizer of «{title}».") if added else _(
        "{name} already is a co-organizer of «{title}».")  # fmt: skip
    await message.reply_text(done.format(name=name, title=salon.title))
