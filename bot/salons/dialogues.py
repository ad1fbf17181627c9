"""The /newsalon and Edit dialogue's state in the database (several processes, PostgreSQL).

PTB's ConversationHandler keeps each dialogue's step in the process's memory (and the answers
in `user_data`); with updates spread over processes the next answer may reach one that never
saw the dialogue. `load_dialogue` (run before the features) copies the stored step and
answers into this process's handler; `SharedConversation` writes them back after each update.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.common.context import Context
from storage.dialogues import get_dialogue, put_dialogue

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


def _continues_a_dialogue(update: Update) -> bool:
    if update.effective_chat is None or update.effective_chat.type != "private":
        return False
    if update.callback_query is not None:
        return (update.callback_query.data or "").startswith("S:")
    message = update.message
    if message is None or not message.text:
        return False
    return not message.text.startswith("/") or message.text.split()[0].startswith("/cancel")


async def load_dialogue(update: Update, context: Context) -> None:
    """Before the features: this chat's dialogue as the database has it (any process's)."""
    handler: SharedConversation | None = context.bot_data.dialogue
    if handler is None or not context.bot_data.shared_dialogues:
        return
    if not _continues_a_dialogue(update):
        return
    chat, user = update.effective_chat, update.effective_user
    async with context.db.begin() as session:
        found = await get_dialogue(chat.id, user.id, session=session)
    key = (chat.id, user.id)
    state, data = found if found is not None else (None, {})
    if state is None:
        handler._conversations.pop(key, None)  # noqa: SLF001
    else:
        handler._conversations[key] = state  # noqa: SLF001
    for name in KEYS:
        if name in data:
            context.user_data[name] = data[name]
        else:
            context.user_data.pop(name, None)
