"""Privacy windows: stored text and raw events expire; daily rollups are kept."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Dialogue, GroupMessage, MemberChange, Reaction


async def purge_expired_activity(
    *,
    session: AsyncSession,
    text_before: datetime,
    raw_before: datetime,
    dialogues_before: datetime | None = None,
) -> dict[str, int]:
    """Blank message text older than `text_before`; delete raw rows older than `raw_before`,
    and organizers' drafts and dialogues left untouched since `dialogues_before`."""
    messages = await session.execute(delete(GroupMessage).where(GroupMessage.sent_at < raw_before))
    texts = await session.execute(
        update(GroupMessage)
        .where(GroupMessage.sent_at < text_before, GroupMessage.text.is_not(None))
        .values(text=None)
    )
    reactions = await session.execute(delete(Reaction).where(Reaction.reacted_at < raw_before))
    members = await session.execute(delete(MemberChange).where(MemberChange.at < raw_before))
    dialogues = 0
    if dialogues_before is not None:
        left = await session.execute(delete(Dialogue).where(Dialogue.updated_at < dialogues_before))
        dialogues = left.rowcount
    return {
        "texts_blanked": texts.rowcount,
        "messages_deleted": messages.rowcount,
        "reactions_deleted": reactions.rowcount,
        "member_events_deleted": members.rowcount,
        "abandoned_dialogues_deleted": dialogues,
    }
