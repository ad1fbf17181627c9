"""The incentives' ticks: award points due, queue last month's leaderboards."""

from __future__ import annotations

import logging

from bot.common.context import Context
from bot.incentives.service import award_due, queue_leaderboards

logger = logging.getLogger(__name__)


async def points_job(context: Context) -> None:
    """Award the points that check-ins, ratings, referrals and series earned (idempotent)."""
    awarded = await award_due(context.db, context.config)
    if any(awarded.values()):
        logger.info("points awarded: %s", awarded)


async def leaderboard_job(context: Context) -> None:
    """Queue last month's leaderboard to each group that has one (once per month)."""
    queued = await queue_leaderboards(context.db, context.config)
    if queued:
        logger.info("leaderboards queued: %d", queued)
