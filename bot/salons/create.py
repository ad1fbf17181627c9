"""/newsalon: a guided conversation (or one line) that creates a salon as a draft to preview."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot import callbacks
from bot.common.config import CommunityConfig, PaymentsConfig
from bot.common.context import Context
from bot.common.i18n import N_
from bot.common.roles import organizer_communities
from bot.salons.access import NOT_ORGANIZER, send
from bot.salons.edit import EDIT, NEW_VALUE, PROMPTS, apply_new_value, ask_new_value
from bot.salons.input import (
    MAX_DESCRIPTION,
    MAX_LOCATION,
    ONE_LINER_USAGE,
    InputError,
    check_deadline,
    future_start,
    local_now,
    parse_capacity,
    parse_duration,
    parse_local_time,
    parse_one_liner,
    parse_salon_price,
    parse_tags,
    parse_text,
    parse_title,
    to_utc,
)
from bot.salons.organizer_texts import preview_markup, preview_text
from bot.seats.money import price_example
from storage.models.salons import SALON_DRAFT
from storage.salons import NewSalon, add_salon
from storage.types import utcnow

END = ConversationHandler.END
CHOOSE_COMMUNITY = 100
DRAFT = "newsalon"


@dataclass(frozen=True)
class Step:
    """One question of the conversation: where the answer goes and how it is checked."""

    key: str
    question: str
    optional: bool
    parse: Callable[[str, dict, CommunityConfig, PaymentsConfig], object]


STEPS = (
    Step("title", N_("What is the title of the salon? (at most 100 characters)"), False,
         lambda text, _d, _c, _p: parse_title(text)),
    Step("description", N_("Describe the salon in a few sentences, or skip."), True,
         lambda text, _d, _c, _p: parse_text(text, MAX_DESCRIPTION)),
    Step("tags", N_("Tags, separated by ; (for example: books;philosophy), or skip."), True,
         lambda text, _d, _c, _p: parse_tags(text)),
    Step("starts_at", N_("When does it start? Send YYYY-MM-DD HH:MM, {timezone} time."), False,
         lambda text, _d, c, _p: future_start(parse_local_time(text, local_now(c.timezone)),
                                              c.timezone, utcnow())),
    Step("duration", N_("How long does it last? For example 90 or 2h. Skip: 2 hours."), True,
         lambda text, _d, _c, _p: parse_duration(text)),
    Step("location", N_("Where does it take place? Send the address, or skip."), True,
         lambda text, _d, _c, _p: parse_text(text, MAX_LOCATION)),
    Step("capacity", N_("How many seats are there? Skip: no limit."), True,
         lambda text, _d, _c, _p: parse_capacity(text)),
    Step("signup_deadline",
         N_("Until when may members sign up? Send YYYY-MM-DD HH:MM, or skip: until the start."),
         True,
         lambda text, d, c, _p: check_deadline(
             to_utc(parse_local_time(text, local_now(c.timezone)), c.timezone), d["starts_at"],
             utcnow())),
    Step("price", N_("How much does a seat cost? For example {example}. Skip: free."), True,
         lambda text, _d, _c, p: parse_salon_price(text, p.default_currency,
                                                   bool(p.provider_token))),
)  # fmt: skip


async def new_salon(update: Update, context: Context) -> int:
    """/newsalon [one line]: check the organizer, read the one-liner, pick the community."""
    _ = context.gettext(update)
    communities = await organizer_communities(context, update.effective_user.id)
    if not communities:
        await update.effective_message.reply_text(_(NOT_ORGANIZER))
        return END
    parts = (update.effective_message.text or "").split(maxsplit=1)
    draft: dict = {}
    if len(parts) > 1:
        payments = context.config.payments
        try:
            one = parse_one_liner(parts[1], default_currency=payments.default_currency,
                                  has_provider=bool(payments.provider_token),
                                  now=local_now(communities[0].timezone))  # fmt: skip
        except InputError as error:
            await update.effective_message.reply_text(error.text(_) + "\n\n" + _(ONE_LINER_USAGE))
            return END
        draft = {"title": one.title, "local_start": one.local_start, "capacity": one.capacity,
                 "location": one.location, "tags": one.tags, "price": one.price,
                 "when": one.when, "complete": True}  # fmt: skip
    context.user_data[DRAFT] = draft
    if len(communities) > 1:
        buttons = [
            [InlineKeyboardButton(c.title, callback_data=callbacks.salon("n", c.chat_id))]
            for c in communities
        ]
        await update.effective_message.reply_text(
            _("Which community is this salon for?"), reply_markup=InlineKeyboardMarkup(buttons)
        )
        return CHOOSE_COMMUNITY
    draft["community_id"] = communities[0].chat_id
    return await _next(update, context, 0)


async def choose_community(update: Update, context: Context) -> int | None:
    """A community button: only one the user organizes counts (the data is untrusted)."""
    _ = context.gettext(update)
    parsed = callbacks.numbers_of(update.callback_query.data, callbacks.SALON, "n", 1)
    communities = await organizer_communities(context, update.effective_user.id)
    chosen = next((c for c in communities if parsed == (c.chat_id,)), None)
    if chosen is None or DRAFT not in context.user_data:
        await update.callback_query.answer(_(NOT_ORGANIZER), show_alert=True)
        return None
    await update.callback_query.answer()
    await update.callback_query.edit_message_reply_markup(None)
    context.user_data[DRAFT]["community_id"] = chosen.chat_id
    return await _next(update, context, 0)


async def _next(update: Update, context: Context, index: int) -> int:
    """Ask question `index`, or finish when the draft is complete."""
    draft = context.user_data[DRAFT]
    if draft.get("complete") or index >= len(STEPS):
        return await _finish(update, context, draft)
    _ = context.gettext(update)
    step = STEPS[index]
    community = context.config.community(draft["community_id"])
    markup = None
    if step.optional:
        skip = InlineKeyboardButton("⏭ " + _("Skip"), callback_data=callbacks.salon("skip", index))
        markup = InlineKeyboardMarkup([[skip]])
    question = _(step.question).format(
        timezone=community.timezone, example=price_example(context.config.payments)
    )
    await send(update, question, markup)
    return index


def _answer(index: int):
    async def answer(update: Update, context: Context) -> int | None:
        """An answer to question `index`: checked, stored, then the next question."""
        _ = context.gettext(update)
        draft = context.user_data.get(DRAFT)
        if draft is None:
            return END
        community = context.config.community(draft["community_id"])
        try:
            value = STEPS[index].parse(
                update.effective_message.text, draft, community, context.config.payments
            )
        except InputError as error:
            await update.effective_message.reply_text(error.text(_))
            return None  # stay on this question
        draft[STEPS[index].key] = value
        return await _next(update, context, index + 1)

    return answer


def _skip(index: int):
    async def skip(update: Update, context: Context) -> int:
        """The Skip button of question `index`."""
        if DRAFT not in context.user_data:
            return END
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(None)
        return await _next(update, context, index + 1)

    return skip


async def _finish(update: Update, context: Context, draft: dict) -> int:
    """Store the draft salon and show the organizer its preview with Publish / Discard."""
    _ = context.gettext(update)
    community = context.config.community(draft["community_id"])
    try:
        local_start = draft.get("local_start")
        if draft.get("when"):  # relative dates count from the chosen community's today
            local_start = parse_local_time(draft["when"], local_now(community.timezone))
        starts_at = draft.get("starts_at") or future_start(
            local_start, community.timezone, utcnow()
        )
    except InputError as error:
        context.user_data.pop(DRAFT, None)
        await send(update, error.text(_))
        return END
    duration = draft.get("duration")
    price_amount, currency = draft.get("price", (0, ""))
    new = NewSalon(
        community_id=community.chat_id,
        title=draft["title"],
        starts_at=starts_at,
        capacity=draft.get("capacity"),
        location=draft.get("location", ""),
        tags=draft.get("tags", ()),
        description=draft.get("description", ""),
        ends_at=starts_at + duration if duration else None,
        signup_deadline=draft.get("signup_deadline"),
        created_by=update.effective_user.id,
        status=SALON_DRAFT,
        price_amount=price_amount,
        currency=currency,
    )
    async with context.db.begin() as session:
        salon = await add_salon(new, session=session)
    context.user_data.pop(DRAFT, None)
    language = context.language(update)
    text = preview_text(salon, community, language, context.bot.username)
    await send(update, text, preview_markup(salon, language))
    return END


async def cancel(update: Update, context: Context) -> int:
    """/cancel: drop the new salon or the edit under way; nothing is saved."""
    context.user_data.pop(DRAFT, None)
    context.user_data.pop(EDIT, None)
    _ = context.gettext(update)
    await update.effective_message.reply_text(_("Cancelled. Nothing was saved."))
    return END


EDIT_PATTERN = callbacks.pattern(callbacks.SALON, *PROMPTS)


def salon_conversation() -> ConversationHandler:
    """/newsalon and the Edit buttons: one dialogue at a time (/cancel aborts, entries restart)."""
    text = filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
    states = {
        CHOOSE_COMMUNITY: [
            CallbackQueryHandler(choose_community, pattern=callbacks.pattern(callbacks.SALON, "n"))
        ],
        NEW_VALUE: [MessageHandler(text, apply_new_value)],
    }
    for index, step in enumerate(STEPS):
        states[index] = [MessageHandler(text, _answer(index))]
        if step.optional:
            skip = callbacks.exactly(callbacks.salon("skip", index))
            states[index].append(CallbackQueryHandler(_skip(index), pattern=skip))
    # Tracking per chat and user (not per message) is what we want; PTB warns about it anyway.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBUserWarning)
        return ConversationHandler(
            entry_points=[
                CommandHandler("newsalon", new_salon, filters=filters.ChatType.PRIVATE),
                CallbackQueryHandler(ask_new_value, pattern=EDIT_PATTERN),
            ],
            states=states,
            fallbacks=[CommandHandler("cancel", cancel)],
            allow_reentry=True,
            name="salon_dialogue",
        )
