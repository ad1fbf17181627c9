"""Organizers' open dialogues in the database, so that any process can continue one."""

from __future__ import annotations

import pickle

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Dialogue
from storage.types import utcnow
from storage.upsert import insert_for


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
