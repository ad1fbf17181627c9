"""Joining, leaving and claiming a seat: /join, /leave, the J:/L:/C: buttons, `j_` links."""

from __future__ import annotations

from datetime import timedelta

from telegram import InputFile, Update

from bot.common.context import Context
from bot.common.formatting import local_time
from bot.members.membership import seat_allowed
from bot.members.start import user_info
from bot.outbox.notices import queue_offers
from bot.salons.member_texts import community_zone, leave_keyboard, one_button, salon_details
from bot.seats.calendar import ics_filename, salon_ics
from bot.seats.invoices import price_text, send_invoice
from bot.seats.refund_notices import leave_refunds
from storage.models.salons import GOING, HELD, OFFERED, SALON_DRAFT, SALON_PUBLISHED
from storage.outbox import cancel_pending
from storage.salons import find_salon, get_salon
from storage.signups import (
    ALREADY,
    CANCELLED,
    CLOSED,
    DEADLINE,
    DONE,
    EXPIRED,
    NOT_FOUND,
    STARTED,
    UNPUBLISHED,
    SignupResult,
    add_signup,
    cancel_signup,
    claim_offer,
)
from storage.users import upsert_user


def callback_salon_id(update: Update) -> int | None:
    """The salon id in `X:<id>` callback data, or None when the data is malformed."""
    _prefix, _sep, rest = (update.callback_query.data or "").partition(":")
    return int(rest) if rest.isascii() and rest.isdigit() and len(rest) < 19 else None


async def resolve_salon_id(context: Context, ref: str) -> int | None:
    """The id of a salon of a configured community named by id or short code."""
    community_ids = [c.chat_id for c in context.config.communities]
    async with context.db.begin() as session:
        salon = await find_salon(ref, session=session, community_ids=community_ids,
                                 codes_only=True)  # fmt: skip
    return salon.id if salon and salon.status != SALON_DRAFT else None


async def answer(update: Update, context: Context, text: str, *, alert: bool = False) -> None:
    """Answer a button press briefly (no-op for commands)."""
    if update.callback_query:
        await update.callback_query.answer(text[:200], show_alert=alert)


def not_found_text(_) -> str:
    """The answer for a salon reference that matches nothing."""
    return _("I could not find that salon. Check the code, or send /events to see what is on.")


def closed_text(_, result: SignupResult) -> str:
    """Why signups are closed, in a sentence."""
    title = result.salon.title
    if result.reason == UNPUBLISHED:  # a draft is not shown to members at all
        return not_found_text(_)
    if result.reason == CANCELLED:
        return _("«{title}» was cancelled.").format(title=title)
    if result.reason == STARTED:
        return _("«{title}» has already started.").format(title=title)
    if result.reason == DEADLINE:
        return _("Signups for «{title}» have closed.").format(title=title)
    return _("Signups for «{title}» are closed.").format(title=title)


async def send_confirmation(update: Update, context: Context, result: SignupResult, head: str):
    """The details with a Leave button, then the .ics calendar file."""
    language = context.language(update)
    salon = result.salon
    message = update.effective_message
    text = head + "\n\n" + salon_details(context.config, salon, language)
    await message.reply_text(text, reply_markup=leave_keyboard(salon, language))
    community = context.config.community(salon.community_id)
    ics = salon_ics(salon, community_title=community.title if community else "")
    _ = context.gettext(update)
    await message.reply_document(
        InputFile(ics, filename=ics_filename(salon)),
        caption=_("Add it to your calendar."),
    )


async def join(
    update: Update, context: Context, *, salon_id: int | None, source: str = "self"
) -> SignupResult:
    """Sign the user up for a salon and tell them where they stand."""
    if not await seat_allowed(update, context, salon_id):
        return SignupResult(NOT_FOUND)
    async with context.db.begin() as session:
        await upsert_user(user_info(update), session=session)
        if salon_id is None:
            result = SignupResult(NOT_FOUND)
        else:
            result = await add_signup(
                salon_id, update.effective_user.id, session=session, source=source,
                hold=hold_window(context),
            )  # fmt: skip
    await _tell_joined(update, context, result)
    return result


def hold_window(context: Context) -> timedelta:
    """How long a seat of a paid salon is held while the member pays."""
    return timedelta(minutes=context.config.payments.hold_minutes)


async def offer_invoice(update: Update, context: Context, result: SignupResult) -> None:
    """A held seat: say until when, then send the invoice (refused: the seat is released)."""
    _ = context.gettext(update)
    language = context.language(update)
    salon, signup = result.salon, result.signup
    until = local_time(signup.offer_expires_at, community_zone(context.config, salon)[0], language)
    head = _("A seat at «{title}» is held for you until {until}. Pay {price} below to confirm "
             "it; unpaid, the seat goes back to the others.").format(
        title=salon.title, until=until, price=price_text(salon))  # fmt: skip
    await answer(update, context, _("A seat is held for you: pay to confirm it."))
    message = update.effective_message
    await message.reply_text(head)
    if await send_invoice(message, context.config, salon, signup, language):
        return
    window = timedelta(hours=context.config.schedule.waitlist_claim_hours)
    async with context.db.begin() as session:
        # Only a hold still unpaid: an earlier invoice may have been paid meanwhile.
        released = await cancel_signup(salon.id, signup.user_id, session=session,
                                       offer_window=window, only=(HELD,))  # fmt: skip
        if released.outcome == DONE:
            await queue_offers(context.config, released.salon, released.offers, session=session)
    if released.outcome != DONE:
        return
    await message.reply_text(
        _(
            "Sorry, I could not create the invoice for this salon, so the seat was released. "
            "Please try again later."
        )  # fmt: skip
    )


async def _tell_joined(update: Update, context: Context, result: SignupResult) -> None:
    _ = context.gettext(update)
    language = context.language(update)
    message = update.effective_message
    if result.outcome == NOT_FOUND:
        await answer(update, context, not_found_text(_), alert=True)
        await message.reply_text(not_found_text(_))
        return
    salon = result.salon
    if result.outcome == CLOSED:
        await answer(update, context, closed_text(_, result), alert=True)
        await message.reply_text(closed_text(_, result))
        return
    if result.status == HELD:
        await offer_invoice(update, context, result)
        return
    if result.status == GOING:
        head = _("You are in! See you there.")
        if result.outcome == ALREADY:
            head = _("You are already signed up for this salon.")
        await answer(update, context, head)
        await send_confirmation(update, context, result, head)
        return
    if result.status == OFFERED:
        text = _("A seat is being held for you for «{title}»: tap the button to take it.")
        await answer(update, context, _("A seat is waiting for you."))
        await message.reply_text(
            text.format(title=salon.title),
            reply_markup=one_button(_("Claim the seat"), f"C:{salon.id}"),
        )
        return
    if result.outcome == ALREADY:
        text = _("You are already on the waitlist for «{title}»: number {position} in line.")
    else:
        text = _(
            "«{title}» is full, so you are on the waitlist: number {position} in line. If a seat "
            "frees up I will offer it to you here."
        )
    text = text.format(title=salon.title, position=result.position)
    await answer(update, context, _("You are on the waitlist."))
    await message.reply_text(text, reply_markup=leave_keyboard(salon, language))


async def join_command(update: Update, context: Context) -> None:
    """/join <salon id or short code>."""
    _ = context.gettext(update)
    if len(context.args) != 1:
        await update.effective_message.reply_text(
            _("Send /join followed by the salon's code, e.g. /join K7PQ2M. /events lists them.")
        )
        return
    await join(update, context, salon_id=await resolve_salon_id(context, context.args[0]))


async def join_deep_link(update: Update, context: Context, code: str) -> None:
    """`/start j_<CODE>`: the link under a salon's announcement in the group."""
    await join(update, context, salon_id=await resolve_salon_id(context, code))


async def join_button(update: Update, context: Context) -> None:
    """The Join button (`J:<salon id>`)."""
    salon_id = callback_salon_id(update)
    chat_id = update.effective_chat.id
    if update.effective_chat.type != "private":
        # A button in the group: open the private chat, where the confirmation can be sent.
        async with context.db.begin() as session:
            salon = await get_salon(salon_id, session=session) if salon_id else None
        # Only a published salon of this very group: a forged id reveals no draft's code.
        shown = salon and salon.status == SALON_PUBLISHED and salon.community_id == chat_id
        payload = f"j_{salon.short_code}" if shown else "events"
        await update.callback_query.answer(
            url=f"https://t.me/{context.bot.username}?start={payload}"
        )
        return
    await join(update, context, salon_id=salon_id)


async def leave(update: Update, context: Context, *, salon_id: int | None) -> None:
    """Release the user's seat or waitlist place; a freed seat is offered to the next."""
    _ = context.gettext(update)
    window = timedelta(hours=context.config.schedule.waitlist_claim_hours)
    user_id = update.effective_user.id
    async with context.db.begin() as session:
        if salon_id is None:
            result = SignupResult(NOT_FOUND)
        else:
            result = await cancel_signup(salon_id, user_id, session=session, offer_window=window)
        refund = ""
        if result.outcome == DONE:
            await cancel_pending(session=session, salon_id=salon_id, user_id=user_id,
                                 kinds=("reminder",))  # fmt: skip
            await queue_offers(context.config, result.salon, result.offers, session=session)
            refund = await leave_refunds(context.config, result.salon, user_id,
                                         context.language(update), session=session)  # fmt: skip
    if result.outcome == NOT_FOUND:
        text = not_found_text(_)
    elif result.outcome == CLOSED:
        text = closed_text(_, result)
    elif result.outcome == DONE:
        text = _("Done: you are no longer signed up for «{title}».").format(
            title=result.salon.title
        )
        text += f" {refund}" if refund else ""
    else:
        text = _("You are not signed up for «{title}».").format(title=result.salon.title)
    await answer(update, context, text, alert=result.outcome != DONE)
    await update.effective_message.reply_text(text)


async def leave_command(update: Update, context: Context) -> None:
    """/leave <salon id or short code>."""
    _ = context.gettext(update)
    if len(context.args) != 1:
        await update.effective_message.reply_text(
            _("Send /leave followed by the salon's code, e.g. /leave K7PQ2M.")
        )
        return
    await leave(update, context, salon_id=await resolve_salon_id(context, context.args[0]))


async def leave_button(update: Update, context: Context) -> None:
    """The Leave / "I can't come" button (`L:<salon id>`)."""
    await leave(update, context, salon_id=callback_salon_id(update))


async def claim_button(update: Update, context: Context) -> None:
    """The Claim button (`C:<salon id>`) of a seat offered from the waitlist."""
    _ = context.gettext(update)
    salon_id = callback_salon_id(update)
    if not await seat_allowed(update, context, salon_id):
        return
    async with context.db.begin() as session:
        if salon_id is None:
            result = SignupResult(NOT_FOUND)
        else:
            result = await claim_offer(salon_id, update.effective_user.id, session=session,
                                       hold=hold_window(context))  # fmt: skip
    if result.status == HELD and result.outcome in (DONE, ALREADY):
        await offer_invoice(update, context, result)
        return
    if result.outcome == DONE:
        head = _("The seat is yours! See you there.")
        await answer(update, context, head)
        await send_confirmation(update, context, result, head)
        return
    if result.outcome == NOT_FOUND:
        text = not_found_text(_)
    elif result.outcome == CLOSED:
        text = closed_text(_, result)
    elif result.outcome == ALREADY:
        text = _("You are already signed up for this salon.")
    elif result.outcome == EXPIRED:
        text = _("Sorry, this offer has expired and the seat goes to the next person in line.")
    else:
        text = _("There is no seat offered to you for this salon.")
    await answer(update, context, text, alert=True)
    await update.effective_message.reply_text(text)
