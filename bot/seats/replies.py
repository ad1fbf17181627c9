"""What a member is told about their seat: joined, held, waiting, left, refused, and why.

Shared by every entry point that changes a seat (the seats handlers, the buttons under an
invitation, a successful payment), so the same outcome always reads the same.
"""

from __future__ import annotations

from telegram import InputFile, Update

from bot import callbacks
from bot.common.context import Context
from bot.common.formatting import local_time
from bot.salons.member_texts import community_zone, leave_keyboard, one_button, salon_details
from bot.seats import service
from bot.seats.calendar import ics_filename, salon_ics
from bot.seats.invoices import price_text, send_invoice
from storage.models.salons import GOING, HELD, OFFERED
from storage.signups import (
    ALREADY,
    CANCELLED,
    CLOSED,
    DEADLINE,
    DONE,
    EXPIRED,
    HOLDS_USED,
    NOT_FOUND,
    STARTED,
    UNPUBLISHED,
    SignupResult,
)


async def answer(update: Update, text: str, *, alert: bool = False) -> None:
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
    if result.reason == HOLDS_USED:
        return _("A seat at «{title}» was held for you several times without payment, so it "
                 "now goes to the other members.").format(title=title)  # fmt: skip
    return _("Signups for «{title}» are closed.").format(title=title)


async def send_confirmation(update: Update, context: Context, result: SignupResult, head: str):
    """The details with a Leave button, then the .ics calendar file."""
    language = context.language(update)
    salon = result.salon
    message = update.effective_message
    mine = result.status == GOING
    text = head + "\n\n" + salon_details(context.config, salon, language, mine=mine)
    await message.reply_text(text, reply_markup=leave_keyboard(salon, language))
    community = context.config.community(salon.community_id)
    ics = salon_ics(salon, community_title=community.title if community else "")
    _ = context.gettext(update)
    await message.reply_document(
        InputFile(ics, filename=ics_filename(salon)),
        caption=_("Add it to your calendar."),
    )


async def offer_invoice(update: Update, context: Context, result: SignupResult) -> None:
    """A held seat: say until when, then send the invoice (refused: the seat is released)."""
    _ = context.gettext(update)
    language = context.language(update)
    salon, signup = result.salon, result.signup
    until = local_time(signup.offer_expires_at, community_zone(context.config, salon)[0], language)
    head = _("A seat at «{title}» is held for you until {until}. Pay {price} below to confirm "
             "it; unpaid, the seat goes back to the others.").format(
        title=salon.title, until=until, price=price_text(salon))  # fmt: skip
    await answer(update, _("A seat is held for you: pay to confirm it."))
    message = update.effective_message
    await message.reply_text(head)
    if await send_invoice(message, context.config, salon, signup, language):
        return
    if not await service.release_unpaid_hold(context.db, context.config, salon.id, signup.user_id):
        return  # paid meanwhile: the seat stays
    await message.reply_text(
        _(
            "Sorry, I could not create the invoice for this salon, so the seat was released. "
            "Please try again later."
        )  # fmt: skip
    )


async def tell_joined(update: Update, context: Context, result: SignupResult) -> None:
    """Where the member stands after joining: in, held to pay, offered, waiting, or refused."""
    _ = context.gettext(update)
    language = context.language(update)
    message = update.effective_message
    if result.outcome == NOT_FOUND:
        await answer(update, not_found_text(_), alert=True)
        await message.reply_text(not_found_text(_))
        return
    salon = result.salon
    if result.outcome == CLOSED:
        await answer(update, closed_text(_, result), alert=True)
        await message.reply_text(closed_text(_, result))
        return
    if result.status == HELD:
        await offer_invoice(update, context, result)
        return
    if result.status == GOING:
        head = _("You are in! See you there.")
        if result.outcome == ALREADY:
            head = _("You are already signed up for this salon.")
        await answer(update, head)
        await send_confirmation(update, context, result, head)
        return
    if result.status == OFFERED:
        text = _("A seat is being held for you for «{title}»: tap the button to take it.")
        await answer(update, _("A seat is waiting for you."))
        await message.reply_text(
            text.format(title=salon.title),
            reply_markup=one_button(_("Claim the seat"), callbacks.claim(salon.id)),
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
    await answer(update, _("You are on the waitlist."))
    await message.reply_text(text, reply_markup=leave_keyboard(salon, language))


async def tell_left(update: Update, context: Context, left: service.Left) -> None:
    """The outcome of leaving; a paid seat past its refund deadline asks to confirm first."""
    _ = context.gettext(update)
    result = left.result
    markup = None
    if result.outcome == service.CONFIRM:
        text = _("The refund deadline for «{title}» has passed: if you leave now, your payment "
                 "is not refunded. Leave anyway?").format(title=result.salon.title)  # fmt: skip
        confirm = callbacks.build(callbacks.LEAVE, "ok", result.salon.id)
        markup = one_button(_("Yes, give up my seat"), confirm)
    elif result.outcome == NOT_FOUND:
        text = not_found_text(_)
    elif result.outcome == CLOSED:
        text = closed_text(_, result)
    elif result.outcome == DONE:
        text = _("Done: you are no longer signed up for «{title}».").format(
            title=result.salon.title
        )
        text += f" {left.refund}" if left.refund else ""
    else:
        text = _("You are not signed up for «{title}».").format(title=result.salon.title)
    await answer(update, text, alert=result.outcome not in (DONE, service.CONFIRM))
    await update.effective_message.reply_text(text, reply_markup=markup)


async def tell_claimed(update: Update, context: Context, result: SignupResult) -> None:
    """The outcome of claiming a seat offered from the waitlist."""
    _ = context.gettext(update)
    if result.status == HELD and result.outcome in (DONE, ALREADY):
        await offer_invoice(update, context, result)
        return
    if result.outcome == DONE:
        head = _("The seat is yours! See you there.")
        await answer(update, head)
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
    await answer(update, text, alert=True)
    await update.effective_message.reply_text(text)
