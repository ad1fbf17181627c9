"""The /newsalon and Edit dialogue's state in the database (several processes, PostgreSQL).

PTB's ConversationHandler keeps each dialogue's step in the process's memory (and the answers
in `user_data`); with updates spread over processes the next answer may reach one that never
saw the dialogue. `load_dialogue` (run before the features) copies the stored step and
answers into this process's handler; `SharedConversation` writes them back after each update.
Two answers reaching two processes at the same instant would both read the same step (the
last write winning): `one_at_a_time` holds a lock per person in the database around each
update that may touch their dialogue, so the second waits for the first to be saved.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import Application

from bot import callbacks
from bot.common.context import BotData, Context
from bot.salons.conversation import KEYS, SharedConversation, save_dialogue
from storage.dialogues import get_dialogue, lock_dialogue

logger = logging.getLogger(__name__)


# Besides answers and buttons, these commands start or end something kept here.
COMMANDS = ("/cancel", "/newsalon", "/plan")
PREFIXES = (callbacks.SALON, callbacks.ORGANIZE, callbacks.PLAN)


def touches_a_dialogue(update: object) -> bool:
    """A private update that may read or change what an organizer has open (KEYS)."""
    if not isinstance(update, Update) or update.effective_user is None:
        return False
    if update.effective_chat is None or update.effective_chat.type != "private":
        return False
    if update.callback_query is not None:
        return (update.callback_query.data or "").split(":")[0] in PREFIXES
    message = update.message
    if message is None or not message.text:
        return False
    words = message.text.split()
    return not words or not words[0].startswith("/") or words[0].split("@")[0] in COMMANDS


@asynccontextmanager
async def one_at_a_time(app: Application, update: object) -> AsyncIterator[None]:
    """Several processes: hold this person's dialogue lock while the update is handled, and
    write what they have open back before letting go."""
    bot_data: BotData = app.bot_data
    if not bot_data.shared_dialogues or not touches_a_dialogue(update):
        yield
        return
    if bot_data.throttle.full(update.effective_user.id):  # refused before any dialogue runs
        yield
        return
    chat_id, user_id = update.effective_chat.id, update.effective_user.id
    session = bot_data.db()
    try:
        await lock_dialogue(user_id, session=session)
        found = await get_dialogue(chat_id, user_id, session=session)
    except (SQLAlchemyError, OSError) as error:  # the database is away, or the wait too long
        await session.close()
        logger.warning("dialogue lock not taken, going ahead: %s", error)
        yield
        return
    try:
        yield
        user_data = app.user_data.get(user_id, {})
        if found is not None or any(k in user_data for k in KEYS):  # else nothing to write
            await save_dialogue(bot_data, chat_id, user_id, user_data)
    except (SQLAlchemyError, OSError) as error:
        logger.warning("dialogue of %s not saved: %s", user_id, error)
    finally:
        await session.close()  # ends the transaction: the lock is released


async def load_dialogue(update: Update, context: Context) -> None:
    """Before the features: this chat's dialogue as the database has it (any process's)."""
    handler: SharedConversation | None = context.bot_data.dialogue
    if handler is None or not context.bot_data.shared_dialogues:
        return
    if not touches_a_dialogue(update):
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
