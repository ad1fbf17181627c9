"""An organizer's dialogue and drafts across processes (several processes, PostgreSQL).

PTB keeps each dialogue's step in the process's memory and the answers in `user_data`; with
updates spread over processes the next answer may reach one that never saw the dialogue.
`one_at_a_time` wraps each update that may touch what a person has open: it takes that
person's lock in the database (so two answers reaching two processes at the same instant are
taken in turn: the second waits for the first to be saved) and reads what is stored;
`load_dialogue` (run before the features, after the per-member limit) puts it in place; after
the update, what the person has open is written back — only if the features saw it, so an
update the limit refused cannot write this process's stale copy over another's answers.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application

from bot import callbacks
from bot.common.context import BotData, Context
from bot.salons.conversation import KEYS, open_state
from storage.dialogues import get_dialogue, lock_dialogue, put_dialogue

logger = logging.getLogger(__name__)
# Besides answers and buttons, these commands start or end something kept here.
COMMANDS = ("/cancel", "/newsalon", "/plan")
PREFIXES = (callbacks.SALON, callbacks.ORGANIZE, callbacks.PLAN)


@dataclass
class Turn:
    """One update's hold on a person's dialogue."""

    found: tuple[int | None, dict] | None = None  # what the database had, read under the lock
    read: bool = False  # `found` was read (else load_dialogue reads it itself)
    applied: bool = False  # load_dialogue put it in place: the features saw it


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
    """Hold the person's dialogue lock while the update is handled; write back after."""
    bot_data: BotData = app.bot_data
    if (
        not bot_data.shared_dialogues
        or not touches_a_dialogue(update)
        or bot_data.throttle.full(update.effective_user.id)  # refused before any dialogue runs
    ):
        yield
        return
    chat_id, user_id = update.effective_chat.id, update.effective_user.id
    turn = Turn()
    session = bot_data.db()
    try:
        try:
            await lock_dialogue(user_id, session=session)
            turn.found = await get_dialogue(chat_id, user_id, session=session)
            turn.read = True
        except (SQLAlchemyError, OSError) as error:  # the database is away, or a long wait
            logger.warning("dialogue lock of %s not taken, going ahead: %s", user_id, error)
            await session.close()
        bot_data.turns[id(update)] = turn
        try:
            yield
        finally:
            bot_data.turns.pop(id(update), None)
        if turn.applied:
            user_data = app.user_data.get(user_id, {})
            await _save(bot_data, session if turn.read else None, chat_id, user_id, user_data,
                        turn)  # fmt: skip
    finally:
        await session.close()  # ends the transaction: the lock is released


async def _save(
    bot_data: BotData, session: AsyncSession | None, chat_id: int, user_id: int,
    user_data: Mapping, turn: Turn,
) -> None:  # fmt: skip
    """Write what the person has open: in the lock's transaction (committing it lets the
    lock go), or, when the lock was not taken, in a transaction of its own."""
    state = open_state(bot_data, chat_id, user_id)
    data = {k: user_data[k] for k in KEYS if k in user_data}
    if turn.read and turn.found is None and state is None and not data:
        return  # nothing was stored and nothing is open: nothing to write
    try:
        if session is None:
            async with bot_data.db.begin() as own:
                await put_dialogue(chat_id, user_id, state, data, session=own)
        else:
            await put_dialogue(chat_id, user_id, state, data, session=session)
            await session.commit()
    except (SQLAlchemyError, OSError) as error:
        logger.warning("dialogue of %s not saved: %s", user_id, error)


async def load_dialogue(update: Update, context: Context) -> None:
    """Before the features: this chat's dialogue as the database has it (any process's)."""
    handler = context.bot_data.dialogue
    if handler is None or not context.bot_data.shared_dialogues:
        return
    if not touches_a_dialogue(update):
        return
    chat, user = update.effective_chat, update.effective_user
    turn: Turn | None = context.bot_data.turns.get(id(update))
    if turn is not None and turn.read:
        found = turn.found
    else:
        async with context.db.begin() as session:
            found = await get_dialogue(chat.id, user.id, session=session)
    if turn is not None:
        turn.applied = True
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
