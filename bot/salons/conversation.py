"""A ConversationHandler whose dialogue state lives in the database (several processes).

PTB keeps each dialogue's step in the process's memory (and the answers in `user_data`);
`SharedConversation` writes them to the database after each update, and
`bot.salons.dialogues.load_dialogue` reads them back before the features run, so the next
answer may reach any process.
"""

from __future__ import annotations

from collections.abc import Mapping

from telegram.ext import ConversationHandler

from bot.common.context import BotData
from storage.dialogues import put_dialogue

# The user_data keys of what an organizer has open: the dialogue's answers (bot/salons/
# create.py, edit.py), a "Message attendees" or co-organizer draft (broadcast.py,
# co_organizers.py) and the plans /plan compared (bot/plans/handlers.py).
KEYS = ("newsalon", "edit_salon", "broadcast", "co_organizer", "plans")


class SharedConversation(ConversationHandler):
    """A ConversationHandler that writes each dialogue's step and answers to the database."""

    async def handle_update(self, update, application, check_result, context):  # noqa: D102
        try:
            return await super().handle_update(update, application, check_result, context)
        finally:
            if application.bot_data.shared_dialogues:
                chat, user = update.effective_chat, update.effective_user
                await save_dialogue(context.bot_data, chat.id, user.id, context.user_data)


async def save_dialogue(bot_data: BotData, chat_id: int, user_id: int, user_data: Mapping) -> None:
    """Write the person's dialogue step and open drafts (KEYS) to the database."""
    handler = bot_data.dialogue
    state = None if handler is None else handler._conversations.get((chat_id, user_id))  # noqa: SLF001
    data = {k: user_data[k] for k in KEYS if k in user_data}
    async with bot_data.db.begin() as session:
        await put_dialogue(chat_id, user_id, state if isinstance(state, int) else None, data,
                           session=session)  # fmt: skip
