"""Organizers' open dialogues in the database, so that any process can continue one."""

from __future__ import annotations

import logging
import pickle

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Dialogue
from storage.types import utcnow
from storage.upsert import insert_for

logger = logging.getLogger(__name__)
# pg_advisory_xact_lock(namespace, key): two int4 keys (pg_locks.objsubid = 2), apart from the
# leader's one bigint key (objsubid = 1). Two people whose ids share a key only wait in turn.
DIALOGUE_LOCKS = int.from_bytes(b"dlg")
# The waiting process handles nothing else meanwhile (updates are handled one at a time), so
# the wait is short; then the answer goes ahead unlocked.
LOCK_WAIT = "2s"


async def get_dialogue(
    chat_id: int, user_id: int, *, session: AsyncSession
) -> tuple[int | None, dict] | None:
    """(step, answers) of the open dialogue in this chat, or None.

    A row this version cannot read (written by another version of the bot during a rolling
    deploy) reads as a dialogue with nothing open, so the next write replaces it: the
    organizer starts again rather than being stuck.
    """
    row = (
        await session.execute(
            select(Dialogue.state, Dialogue.data).where(
                Dialogue.chat_id == chat_id, Dialogue.user_id == user_id
            )
        )
    ).first()
    if row is None:
        return None
    try:
        # The bot wrote these bytes itself (parsed answers), like every other row it trusts.
        return row.state, pickle.loads(row.data)  # noqa: S301
    except Exception as error:  # unpickling raises whatever the stored classes raise
        logger.warning("an unreadable dialogue of user %s is dropped: %r", user_id, error)
        return None, {}


async def put_dialogue(
    chat_id: int, user_id: int, state: int | None, data: dict, *, session: AsyncSession
) -> None:
    """Store the dialogue's step and answers; no step and no answers deletes it."""
    if state is None and not data:
        await session.execute(
            delete(Dialogue).where(Dialogue.chat_id == chat_id, Dialogue.user_id == user_id)
        )
        return
    values = {"state": state, "data": pickle.dumps(data), "updated_at": utcnow()}
    stmt = insert_for(session)(Dialogue).values(chat_id=chat_id, user_id=user_id, **values)
    await session.execute(
        stmt.on_conflict_do_update(index_elements=["chat_id", "user_id"], set_=values)
    )


async def lock_dialogue(user_id: int, *, session: AsyncSession) -> None:
    """PostgreSQL: wait until no other process handles this person's dialogue, and hold it
    until the session's transaction ends. Raises (lock_timeout) after `LOCK_WAIT`."""
    await session.execute(text(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'"))
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, :key)"),
        {"space": DIALOGUE_LOCKS, "key": user_id % 2**31},
    )
