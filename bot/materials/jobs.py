"""The materials tick (idempotent: one outbox row per salon and member)."""

from __future__ import annotations

import logging

from bot.common.context import Context
from bot.materials.service import queue_materials

logger = logging.getLogger(__name__)


async def materials_job(context: Context) -> None:
    """Queue finished salons' materials to members who wanted to come but did not."""
    async with context.db.begin() as session:
        queued = await queue_materials(context.config, session=session)
    if queued:
        logger.info("materials queued: %d", queued)
