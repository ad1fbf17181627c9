"""A ConversationHandler whose dialogue state lives in the database (several processes).

PTB keeps each dialogue's step in the process's memory (and the answers in `user_data`);
`SharedConversation` writes them to the database after each update, and
`bot.salons.dialogues.load_dialogue` reads them back before the features run, so the next
answer may reach any process.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.common.context import Context
from storage.dialogues import put_dialogue

# The user_data keys the dialogue keeps its answers under (bot/salons/create.py, edit.py).
KEYS = ("newsalon", "edit_salon")


class SharedConversation(ConversationHandler):
    """A ConversationHandler that writes each dialogue's step and answers to the database."""

    async def handle_update(self, update, application, check_result, context):  # noqa: D102
        try:
            return await super().handle_update(update, application, check_result, context)
        finally:
            if application.bot_data.shared_dialogues:
                await _save(self, update, context)


async def _save(handler: ConversationHandler, update: Update, context: Context) -> None:
    chat, user = update.effective_chat, update.effective_user
    state = handler._conversations.get((chat.id, user.id))  # noqa: SLF001 (PTB keeps it there)
    data = {k: context.user_data[k] for k in KEYS if k in context.user_data}
    async with context.db.begin() as session:
        await put_dialogue(chat.id, user.id, state if isinstance(state, int) else None, data,
                           session=session)  # fmt: skip
