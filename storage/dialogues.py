"""Organizers' open dialogues in the database, so that any process can continue one."""

from __future__ import annotations

import pickle

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Dialogue
from storage.types import utcnow
from storage.upsert import insert_for

# pg_advisory_xact_lock(namespace, key): two int4 keys, apart from the leader's one bigint key.
DIALOGUE_LOCKS = int.from_bytes(b"dlg")
LOCK_WAIT = "10s"  # longer than any one answer takes; then the answer goes ahead unlocked


async def get_dialogue(
    chat_id: int, user_id: int, *, session: AsyncSession
) -> tuple[int | None, dict] | None:
    """(step, answers) of the open dialogue in this chat, or None."""
    row = (
        await session.execute(
            select(Dialogue.state, Dialogue.data).where(
                Dialogue.chat_id == chat_id, Dialogue.user_id == user_id
            )
        )
    ).first()
    if row is None:
        return None
    # The bot wrote these bytes itself (parsed answers), like every other row it trusts.
    return row.state, pickle.loads(row.data)  # noqa: S301


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
