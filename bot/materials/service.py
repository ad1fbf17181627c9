"""After a salon: its materials to members who wanted to come but did not, with the next
similar salon (through the outbox, once per salon and member: `materials:<salon>:<user>`)."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.common.config import Config
from bot.materials.texts import materials_payload
from bot.salons.member_texts import member_language
from storage.materials import get_next_similar, list_due_materials
from storage.outbox import enqueue
from storage.users import get_user

URL_RE = re.compile(r"^https?://[^\s<>\"']{1,490}$")
PRIORITY_MATERIALS = 0


def valid_url(text: str) -> bool:
    """Whether `text` is an http(s) link we can put in a message."""
    return bool(URL_RE.match(text))


async def queue_materials(
    config: Config, *, session: AsyncSession, now: datetime | None = None
) -> int:
    """Queue the materials of every finished salon to its interested non-attendees."""
    queued = 0
    for due in await list_due_materials(session=session, now=now):
        nxt = await get_next_similar(due.salon, session=session, now=now)
        for user_id in due.user_ids:
            user = await get_user(user_id, session=session)
            language = member_language(config, due.salon, user.language_code if user else None)
            payload = materials_payload(config, due.salon, due.url, nxt, language)
            queued += await enqueue(
                f"materials:{due.salon.id}:{user_id}", session=session, kind="materials",
                chat_id=user_id, user_id=user_id, salon_id=due.salon.id, payload=payload,
                priority=PRIORITY_MATERIALS,
            )  # fmt: skip
    return queued
