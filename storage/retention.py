"""Privacy windows: stored text and raw events expire; daily rollups are kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import GroupMessage, MemberChange, Reaction


async def purge_expired_activity(
    *, session: AsyncSession, text_before: datetime, raw_before: datetime
) -> dict[str, int]:
    """Blank message text older than `text_before`; delete raw rows older than `raw_before`."""
    messages = await session.execute(delete(GroupMessage).where(GroupMessage.sent_at < raw_before))
    texts = await session.execute(
        update(GroupMessage)
        .where(GroupMessage.sent_at < text_before, GroupMessage.text.is_not(None))
        .values(text=None)
    )
    reactions = await session.execute(delete(Reaction).where(Reaction.reacted_at < raw_before))
    members = await session.execute(delete(MemberChange).where(MemberChange.at < raw_before))
    return {
        "texts_blanked": texts.rowcount,
        "messages_deleted": messages.rowcount,
        "reactions_deleted": reactions.rowcount,
        "member_events_deleted": members.rowcount,
    }
