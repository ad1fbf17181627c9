"""/me (points, streak, next salon), /invitefriend, the referral deep link, and the
leaderboard buttons (`PT:1:<community>` list me, `PT:0:<community>` do not)."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.common.context import Context
from bot.incentives.service import member_summary, referral_payload, referrer_of
from bot.incentives.views import me_keyboard, me_text
from bot.salons.access import STALE_BUTTON
from storage.points import add_referral, set_leaderboard


async def _show_me(update: Update, context: Context, edit: bool) -> None:
    language = context.language(update)
    async with context.db.begin() as session:
        summary = await member_summary(context.config, update.effective_user.id,
                                       session=session)  # fmt: skip
    text = me_text(context.config, summary, language)
    markup = me_keyboard(summary, language)
    if edit:
        await update.callback_query.edit_message_text(text, reply_markup=markup)
    else:
        await update.effective_message.reply_text(text, reply_markup=markup)


async def me_command(update: Update, context: Context) -> None:
    """/me: the member's points, streak, leaderboard choice and next suggested salon."""
    await _show_me(update, context, edit=False)


async def leaderboard_button(update: Update, context: Context) -> None:
    """`PT:1|0:<community>`: list the presser on that community's leaderboard, or stop."""
    _ = context.gettext(update)
    query = update.callback_query
    parsed = callbacks.parse(query.data, callbacks.POINTS)
    valid = parsed is not None and not parsed.action and len(parsed.numbers) == 2
    valid = valid and parsed.numbers[0] in (0, 1)
    community = context.config.community(parsed.numbers[1]) if valid else None
    if community is None or not community.points.leaderboard or query.message is None:
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    enabled = parsed.numbers[0] == 1
    async with context.db.begin() as session:
        await set_leaderboard(update.effective_user.id, community.chat_id, enabled=enabled,
                              session=session)  # fmt: skip
    await query.answer(
        _("You will be listed on the leaderboard.") if enabled
        else _("You will not be listed on the leaderboard.")
    )  # fmt: skip
    await _show_me(update, context, edit=True)


async def invite_friend(update: Update, context: Context) -> None:
    """/invitefriend: the member's personal link to share with a friend."""
    _ = context.gettext(update)
    url = f"https://t.me/{context.bot.username}?start={referral_payload(update.effective_user.id)}"
    points = max((c.points.referral for c in context.config.communities), default=0)
    text = _("Share this link with a friend who might enjoy our salons:\n{url}").format(url=url)
    if points:
        text += "\n" + _(
            "When they start the bot through it and come to a salon, you earn {points} points."
        ).format(points=points)
    button = InlineKeyboardButton(_("Open the link"), url=url)
    await update.effective_message.reply_text(
        text, reply_markup=InlineKeyboardMarkup([[button]]), disable_web_page_preview=True
    )


async def referral_deep_link(update: Update, context: Context, rest: str) -> None:
    """`/start r_<id>`: a newcomer came through a member's link; welcome them."""
    _ = context.gettext(update)
    referrer = referrer_of(rest)
    if referrer is not None:
        async with context.db.begin() as session:
            await add_referral(referrer, update.effective_user.id, session=session)
    name = update.effective_user.first_name or ""
    await update.effective_message.reply_text(
        _(
            "Hello, {name}! A friend invited you. I am the salon assistant of the community: "
            "send /events to see the upcoming salons and sign up."
        ).format(name=name)
    )
