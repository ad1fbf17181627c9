"""Feedback after a salon: poll answers become ratings; a reply to the prompt is a comment."""

from __future__ import annotations

import logging

from telegram import ForceReply, Update
from telegram.error import Forbidden

from bot.common.context import Context
from bot.salons.member_texts import RATINGS
from storage.feedback import get_poll, get_poll_by_prompt, set_comment, set_prompt, set_rating
from storage.models.digest import COMMENT
from storage.salon_activity import add_activity
from storage.salons import get_salon
from storage.signups import get_signup

logger = logging.getLogger(__name__)


async def poll_answer(update: Update, context: Context) -> None:
    """Store the member's rating; after the first vote, invite a comment."""
    answer = update.poll_answer
    user = answer.user
    if user is None:
        return
    rating = answer.option_ids[0] + 1 if answer.option_ids else None
    if rating is not None and rating not in RATINGS:
        return
    async with context.db.begin() as session:
        poll = await get_poll(answer.poll_id, session=session)
        if poll is None or poll.user_id != user.id:
            return  # not one of our feedback polls, or not the member it was sent to
        await set_rating(poll, rating, session=session)
        ask = rating is not None and poll.prompt_message_id is None
    if not ask:
        return
    _ = context.gettext(update)
    text = _(
        "Thank you for rating! If you want to tell the organizers more, reply to this message "
        "with a comment."
    )
    try:
        prompt = await context.bot.send_message(
            user.id, text, reply_markup=ForceReply(input_field_placeholder=_("Your comment"))
        )
    except Forbidden as error:
        logger.info("cannot ask user %s for a comment: %s", user.id, error)
        return
    async with context.db.begin() as session:
        await set_prompt(poll, prompt.message_id, session=session)


async def save_comment(update: Update, context: Context) -> None:
    """A private reply to the comment prompt: store it as the member's comment."""
    message = update.effective_message
    async with context.db.begin() as session:
        poll = await get_poll_by_prompt(
            update.effective_user.id, message.reply_to_message.message_id, session=session
        )
        if poll is None:
            return
        await set_comment(poll, message.text, session=session)
        salon = await get_salon(poll.salon_id, session=session)
        if salon is not None:  # the organizers get it as a note (bot/salons/digest.py)
            signup = await get_signup(salon.id, poll.user_id, session=session)
            rating = signup.rating if signup is not None and signup.rating else ""
            await add_activity(salon, COMMENT, session=session, user_id=poll.user_id,
                               detail=f"{rating}|{message.text}")  # fmt: skip
    _ = context.gettext(update)
    await message.reply_text(_("Thank you! I passed your comment on to the organizers."))
