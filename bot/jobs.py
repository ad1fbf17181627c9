"""Jobs: `async def *_job(context)`, each opening its own session and safe to run twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.context import Context
from storage.retention import purge_expired_activity
from storage.types import utcnow

logger = logging.getLogger(__name__)


async def flush_activity_job(context: Context) -> None:
    """Start writing the activity events buffered since the last flush (returns at once)."""
    if context.bot_data.activity is not None:
        context.bot_data.activity.flush_soon()


async def retention_job(context: Context) -> None:
    """Delete stored message text and raw events past the privacy windows (rollups stay)."""
    privacy = context.config.privacy
    now = utcnow()
    async with context.db.begin() as session:
        purged = await purge_expired_activity(
            session=session,
            text_before=now - timedelta(days=privacy.retention_days),
            raw_before=now - timedelta(days=privacy.raw_event_days),
        )
    logger.info("retention: %s", ", ".join(f"{k} {v}" for k, v in purged.items()))
