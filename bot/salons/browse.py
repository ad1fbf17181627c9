"""What members see: /events, /mysalons, and the way to the private chat from the group."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.common.context import Context
from bot.common.formatting import local_time
from bot.members.membership import visible_salons
from bot.members.start import PAYLOAD_RE
from bot.salons.member_texts import community_zone, salon_details, short_title
from storage.models.salons import GOING, HELD, OFFERED
from storage.salons import list_upcoming_salons
from storage.signups import list_member_signups

MAX_LISTED = 15


async def show_events(update: Update, context: Context) -> None:
    """List upcoming salons of the member's communities, each with a Join button."""
    _ = context.gettext(update)
    language = context.language(update)
    user_id = update.effective_user.id
    community_ids = [c.chat_id for c in context.config.communities]
    async with context.db.begin() as session:
        salons = await list_upcoming_salons(community_ids, session=session)
    # Members see their communities' salons; others only those that welcome guests.
    salons = await visible_salons(context, user_id, salons)
    if not salons:
        await update.effective_message.reply_text(
            _("There are no upcoming salons right now. I will let you know when there is one.")
        )
        return
    blocks = [_("Upcoming salons:")]
    buttons = []
    for salon in salons[:MAX_LISTED]:
        blocks.append(
            salon_details(context.config, salon, language) + f"\n/join {salon.short_code}"
        )
        label = _("Join: {title}").format(title=short_title(salon))
        buttons.append([InlineKeyboardButton(label, callback_data=f"J:{salon.id}")])
    await update.effective_message.reply_text(
        "\n\n".join(blocks), reply_markup=InlineKeyboardMarkup(buttons)
    )


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
            button = (_("Leave: {title}"), f"L:{salon.id}")
        elif signup.status == OFFERED:
            until = local_time(signup.offer_expires_at, community_zone(context.config, salon)[0],
                               language)  # fmt: skip
            status = _("🎟 A seat is offered to you until {time}.").format(time=until)
            button = (_("Claim: {title}"), f"C:{salon.id}")
        elif signup.status == HELD:
            until = local_time(signup.offer_expires_at, community_zone(context.config, salon)[0],
                               language)  # fmt: skip
            status = _("💳 A seat is held for you until {time}: pay to confirm it.").format(
                time=until
            )
            button = (_("Pay: {title}"), f"J:{salon.id}")
        else:
            status = _("⏳ Waitlist: number {position} in line.").format(position=item.position)
            button = (_("Leave: {title}"), f"L:{salon.id}")
        blocks.append(salon_details(context.config, salon, language) + "\n" + status)
        text = button[0].format(title=short_title(salon))
        buttons.append([InlineKeyboardButton(text, callback_data=button[1])])
    await update.effective_message.reply_text(
        "\n\n".join(blocks), reply_markup=InlineKeyboardMarkup(buttons)
    )


async def open_private_chat(update: Update, context: Context) -> None:
    """Member commands sent in the group: answer briefly with a button that opens the bot."""
    _ = context.gettext(update)
    command = update.effective_message.text.split()[0].split("@")[0].lstrip("/")
    args = context.args or []
    payload = "privacy" if command == "privacy" else "events"
    if command == "join" and len(args) == 1 and PAYLOAD_RE.match(f"j_{args[0]}"):
        payload = f"j_{args[0]}"
    url = f"https://t.me/{context.bot.username}?start={payload}"
    text = _("Let's continue in a private chat, so the group stays quiet:")
    button = InlineKeyboardButton(_("Open the bot"), url=url)
    await update.effective_message.reply_text(text, reply_markup=InlineKeyboardMarkup([[button]]))
