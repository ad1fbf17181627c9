"""/plan: organizers compare 2-6 salon plans, then turn one into a draft with a button."""

from __future__ import annotations

import secrets

from telegram import Update

from bot import callbacks
from bot.common.context import Context
from bot.common.i18n import N_
from bot.common.roles import organizer_communities
from bot.plans.service import predict_plans
from bot.plans.texts import USAGE, draft_markup, report_text
from bot.salons.access import NOT_ORGANIZER, STALE_BUTTON
from bot.salons.input import InputError, future_start, parse_one_liner
from bot.salons.organizer_texts import preview_markup, preview_text
from storage.models.salons import SALON_DRAFT
from storage.salons import NewSalon, add_salon
from storage.types import utcnow

PLANS = "plans"  # user_data: the last compared plans, for the draft buttons
MIN_PLANS, MAX_PLANS = 2, 6
WORKING = N_("Comparing the plans with this community's history…")
BAD_LINE = N_("Plan {n}: {error}")


async def plan_salons(update: Update, context: Context) -> None:
    """/plan + one plan per line: each plan's forecast, the best one, and draft buttons."""
    _ = context.gettext(update)
    communities = await organizer_communities(context, update.effective_user.id)
    if not communities:
        await update.effective_message.reply_text(_(NOT_ORGANIZER))
        return
    text = (update.effective_message.text or "").split(maxsplit=1)
    lines = [line for line in (text[1].splitlines() if len(text) > 1 else []) if line.strip()]
    if not MIN_PLANS <= len(lines) <= MAX_PLANS:
        await update.effective_message.reply_text(_(USAGE))
        return
    payments = context.config.payments
    options = []
    for n, line in enumerate(lines, start=1):
        try:
            options.append(parse_one_liner(line, default_currency=payments.default_currency,
                                           has_provider=bool(payments.provider_token)))  # fmt: skip
        except InputError as error:
            await update.effective_message.reply_text(
                _(BAD_LINE).format(n=n, error=error.text(_)) + "\n\n" + _(USAGE)
            )
            return
    community = communities[0]
    await update.effective_message.reply_text(_(WORKING))
    try:
        report = await predict_plans(context.db, context.config, community.chat_id, options)
    except InputError as error:
        await update.effective_message.reply_text(error.text(_))
        return
    nonce = secrets.token_hex(4)
    context.user_data[PLANS] = {"nonce": nonce, "community_id": community.chat_id,
                                "options": options}  # fmt: skip
    language = context.language(update)
    await update.effective_message.reply_text(
        report_text(report, community.title, community.timezone, language),
        reply_markup=draft_markup(len(options), nonce, report.best, language),
    )


async def draft_plan(update: Update, context: Context) -> None:
    """A plan's button: re-check the organizer, then store the plan as a draft salon."""
    _ = context.gettext(update)
    query = update.callback_query
    # The nonce ties a button to the comparison that made it (bot.callbacks.plan).
    match = callbacks.plan_of(query.data)
    saved = context.user_data.get(PLANS)
    if match is None or saved is None or saved["nonce"] != match[0]:
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    index = match[1]
    communities = await organizer_communities(context, update.effective_user.id)
    community = next((c for c in communities if c.chat_id == saved["community_id"]), None)
    if community is None:
        await query.answer(_(NOT_ORGANIZER), show_alert=True)
        return
    if index >= len(saved["options"]):
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    option = saved["options"][index]
    try:
        starts_at = future_start(option.local_start, community.timezone, utcnow())
    except InputError as error:
        await query.answer(error.text(_)[:200], show_alert=True)
        return
    new = NewSalon(community_id=community.chat_id, title=option.title, starts_at=starts_at,
                   capacity=option.capacity, location=option.location, tags=option.tags,
                   created_by=update.effective_user.id, status=SALON_DRAFT,
                   price_amount=option.price[0], currency=option.price[1])  # fmt: skip
    async with context.db.begin() as session:
        salon = await add_salon(new, session=session)
    context.user_data.pop(PLANS, None)  # one draft per comparison: the buttons are spent
    await query.answer()
    await query.edit_message_reply_markup(None)
    language = context.language(update)
    await update.effective_chat.send_message(
        preview_text(salon, community, language, context.bot.username),
        reply_markup=preview_markup(salon, language),
    )
