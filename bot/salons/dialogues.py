"""The /newsalon and Edit dialogue's state in the database (several processes, PostgreSQL).

PTB's ConversationHandler keeps each dialogue's step in the process's memory (and the answers
in `user_data`); with updates spread over processes the next answer may reach one that never
saw the dialogue. `load_dialogue` (run before the features) copies the stored step and
answers into this process's handler; `SharedConversation` writes them back after each update.
"""

from __future__ import annotations

from telegram import Update

from bot import callbacks
from bot.common.context import Context
from bot.salons.conversation import KEYS, SharedConversation
from storage.dialogues import get_dialogue


def _continues_a_dialogue(update: Update) -> bool:
    if update.effective_chat is None or update.effective_chat.type != "private":
        return False
    if update.callback_query is not None:
        return (update.callback_query.data or "").startswith(callbacks.SALON + ":")
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
