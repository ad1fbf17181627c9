"""Feedback polls: which poll asked whom about which salon, ratings and comments."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Poll, Signup
from storage.types import strip_nul, utcnow
from storage.upsert import insert_for


async def add_poll(
    poll_id: str,
    *,
    session: AsyncSession,
    salon_id: int,
    user_id: int,
    message_id: int | None = None,
) -> None:
    """Remember a sent feedback poll (a second call with the same poll id is a no-op)."""
    insert = insert_for(session)
    stmt = insert(Poll).values(
        poll_id=poll_id, salon_id=salon_id, user_id=user_id, message_id=message_id,
        created_at=utcnow(),
    )  # fmt: skip
    await session.execute(stmt.on_conflict_do_nothing(index_elements=["poll_id"]))


async def get_poll(poll_id: str, *, session: AsyncSession) -> Poll | None:
    """The feedback poll with this Telegram poll id."""
    return await session.get(Poll, poll_id)


async def set_rating(
    poll: Poll, rating: int | None, *, session: AsyncSession, now: datetime | None = None
) -> bool:
    """Store the member's 1-5 rating (None: vote retracted); False if no signup matches."""
    result = await session.execute(
        update(Signup)
        .where(Signup.salon_id == poll.salon_id, Signup.user_id == poll.user_id)
        .values(rating=rating, rated_at=(now or utcnow()) if rating is not None else None)
    )
    return result.rowcount == 1


async def set_prompt(poll: Poll, message_id: int, *, session: AsyncSession) -> None:
    """Remember the "reply with a comment" message sent after the vote."""
    await session.execute(
        update(Poll).where(Poll.poll_id == poll.poll_id).values(prompt_message_id=message_id)
    )


async def get_poll_by_prompt(
    user_id: int, message_id: int, *, session: AsyncSession
) -> Poll | None:
    """The poll whose comment prompt this member replied to."""
    query = select(Poll).where(Poll.user_id == user_id, Poll.prompt_message_id == message_id)
    return (await session.scalars(query)).first()


async def set_comment(poll: Poll, comment: str, *, session: AsyncSession) -> None:
    """Store the member's comment on the salon (the latest reply wins)."""
    await session.execute(
        update(Signup)
        .where(Signup.salon_id == poll.salon_id, Signup.user_id == poll.user_id)
        .values(comment=strip_nul(comment)[:2000])
    )
