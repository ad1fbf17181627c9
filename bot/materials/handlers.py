"""/materials CODE URL: an organizer attaches the slides, recording or notes to a salon."""

from __future__ import annotations

from telegram import Update

from bot.common.context import Context
from bot.common.roles import organizer_communities
from bot.materials.service import valid_url
from bot.salons.access import NOT_ORGANIZER, NOT_YOURS
from storage.materials import set_materials
from storage.salons import find_salon


async def attach_materials(update: Update, context: Context) -> None:
    """Store the link; members who wanted to come but did not get it after the salon."""
    _ = context.gettext(update)
    args = context.args or []
    if len(args) != 2 or not valid_url(args[1]):
        await update.effective_message.reply_text(
            _("Send /materials CODE LINK, e.g. /materials K7PQ2M https://example.org/slides")
        )
        return
    communities = await organizer_communities(context, update.effective_user.id)
    if not communities:
        await update.effective_message.reply_text(_(NOT_ORGANIZER))
        return
    async with context.db.begin() as session:
        salon = await find_salon(args[0], session=session,
                                 community_ids=[c.chat_id for c in communities])  # fmt: skip
        if salon is not None:
            await set_materials(salon.id, args[1], session=session,
                                added_by=update.effective_user.id)  # fmt: skip
    if salon is None:
        await update.effective_message.reply_text(_(NOT_YOURS))
        return
    await update.effective_message.reply_text(
        _(
            "Materials attached to “{title}”. After the salon, members who signed up but did "
            "not come get the link, with the next salon on a similar topic."
        ).format(title=salon.title)
    )
