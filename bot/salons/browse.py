"""What members see: /events, /mysalons, and the way to the private chat from the group."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot import callbacks
from bot.common.context import Context
from bot.common.formatting import local_time
from bot.common.users import PAYLOAD_RE
from bot.members.membership import visible_salons
from bot.outbox.pace import reply_in_chat
from bot.recommendations.service import recommend
from bot.recommendations.views import events_view
from bot.salons.access import STALE_BUTTON
from bot.salons.member_texts import community_zone, salon_details, short_title
from storage.models.salons import GOING, HELD, OFFERED
from storage.signups import list_member_signups


async def _events(update: Update, context: Context, by_date: bool):
    """The /events text and keyboard for this member (None when nothing is on)."""
    language = context.language(update)
    user_id = update.effective_user.id
    community_ids = [c.chat_id for c in context.config.communities]
    async with context.db.begin() as session:
        items = await recommend(user_id, community_ids, session=session)
    # Members see their communities' salons; others only those that welcome guests.
    shown = {s.id for s in await visible_salons(context, user_id, [i.salon for i in items])}
    items = [i for i in items if i.salon.id in shown]
    if not items:
        return None
    return events_view(context.config, items, language, by_date)


async def show_events(update: Update, context: Context) -> None:
    """List upcoming salons of the member's communities, best fit first, with Join buttons."""
    _ = context.gettext(update)
    view = await _events(update, context, by_date=False)
    if view is None:
        await update.effective_message.reply_text(
            _("There are no upcoming salons right now. I will let you know when there is one.")
        )
        return
    await update.effective_message.reply_text(view[0], reply_markup=view[1])


async def events_order(update: Update, context: Context) -> None:
    """The `EV:d` / `EV:r` button under /events: the same list by date, or best fit first."""
    _ = context.gettext(update)
    query = update.callback_query
    parsed = callbacks.parse(query.data, callbacks.EVENTS)
    if parsed is None or parsed.action not in ("d", "r") or parsed.numbers or not query.message:
        await query.answer(_(STALE_BUTTON), show_alert=True)
        return
    view = await _events(update, context, by_date=parsed.action == "d")
    await query.answer()
    if view is None:
        await query.edit_message_text(
            _("There are no upcoming salons right now. I will let you know when there is one.")
        )
        return
    await query.edit_message_text(view[0], reply_markup=view[1])


async def events_deep_link(update: Update, context: Context, _rest: str) -> None:
    """`/start events`: the button under /events in the group."""
    await show_events(update, context)


async def my_salons(update: Update, context: Context) -> None:
    """The member's upcoming salons: going, offered (with Claim) and waitlisted (position)."""
    _ = context.gettext(update)
    language = context.language(update)
    async with context.db.begin() as session:
        mine = await list_member_signups(update.effective_user.id, session=session)
    shown = {s.id for s in await visible_salons(context, update.effective_user.id,
                                                 [item.salon for item in mine])}  # fmt: skip
    mine = [item for item in mine if item.salon.id in shown]
    if not mine:
        await update.effective_message.reply_text(
            _("You have not signed up for any upcoming salon. Send /events to see what is on.")
        )
        return
    blocks = [_("Your salons:")]
    buttons = []
    for item in mine:
        salon, signup = item.salon, item.signup
        if signup.status == GOING:
            status = _("✅ You are going.")
            button = (_("Leave: {title}"), callbacks.leave(salon.id))
        elif signup.status == OFFERED:
            until = local_time(signup.offer_expires_at, community_zone(context.config, salon)[0],
                               language)  # fmt: skip
            status = _("🎟 A seat is offered to you until {time}.").format(time=until)
            button = (_("Claim: {title}"), callbacks.claim(salon.id))
        elif signup.status == HELD:
            until = local_time(signup.offer_expires_at, community_zone(context.config, salon)[0],
                               language)  # fmt: skip
            status = _("💳 A seat is held for you until {time}: pay to confirm it.").format(
                time=until
            )
            button = (_("Pay: {title}"), callbacks.join(salon.id))
        else:
            status = _("⏳ Waitlist: number {position} in line.").format(position=item.position)
            button = (_("Leave: {title}"), callbacks.leave(salon.id))
        going = signup.status == GOING
        blocks.append(salon_details(context.config, salon, language, mine=going) + "\n" + status)
        text = button[0].format(title=short_title(salon))
        buttons.append([InlineKeyboardButton(text, callback_data=button[1])])
    await update.effective_message.reply_text(
        "\n\n".join(blocks), reply_markup=InlineKeyboardMarkup(buttons)
    )


# The member commands answered in the private chat; open_private_chat links them to it.
MEMBER_COMMANDS = ("events", "join", "leave", "mysalons", "privacy", "me", "invitefriend")


async def open_private_chat(update: Update, context: Context) -> None:
    """Commands meant for the private chat sent in the group (members' and organizers'):
    answer briefly with a button that opens the bot."""
    _ = context.gettext(update)
    command = update.effective_message.text.split()[0].split("@")[0].lstrip("/")
    args = context.args or []
    payload = "privacy" if command == "privacy" else "events"
    if command == "join" and len(args) == 1 and PAYLOAD_RE.match(f"j_{args[0]}"):
        payload = f"j_{args[0]}"
    url = f"https://t.me/{context.bot.username}"
    if command in MEMBER_COMMANDS:  # an organizer's command opens the chat, nothing else
        url += f"?start={payload}"
    text = _("Let's continue in a private chat, so the group stays quiet:")
    button = InlineKeyboardButton(_("Open the bot"), url=url)
    await reply_in_chat(update, context, text, InlineKeyboardMarkup([[button]]))
