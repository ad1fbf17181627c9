"""Scheduled work: idempotent ticks that derive what is due from the database.

Each job opens its own transaction, finds what is due and queues it in the outbox under a
deterministic dedupe key, so running a tick twice, or in a restarted process, queues nothing
twice. The dispatcher (bot/outbox/dispatcher.py) sends what is queued.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.campaigns.service import autostart_campaigns, measure_campaigns, run_due_waves
from bot.common.context import Context
from bot.outbox.notices import (
    queue_feedback,
    queue_lapsed,
    queue_offers,
    queue_reminder,
    queue_unpaid,
)
from bot.salons.digest import tell_organizers
from bot.salons.series import extend_series
from storage.attendance import mark_no_shows
from storage.holds import expire_holds
from storage.retention import purge_expired_activity
from storage.salons import get_salon
from storage.schedule import cancel_late_reminders, list_due_feedback, list_due_reminders
from storage.types import utcnow
from storage.waitlist import expire_offers

logger = logging.getLogger(__name__)


async def reminders_job(context: Context) -> None:
    """Queue the reminders due now to members going to upcoming salons."""
    config = context.config
    async with context.db.begin() as session:
        now = utcnow()
        cancelled = await cancel_late_reminders(session=session, now=now)
        due = await list_due_reminders(config.schedule.reminder_hours, session=session, now=now)
        queued = sum([await queue_reminder(config, d, session=session) for d in due])
    if queued or cancelled:
        logger.info("reminders: %d queued, %d too late cancelled", queued, cancelled)


async def feedback_job(context: Context) -> None:
    """Queue a feedback poll to each attendee of salons that ended a while ago."""
    config = context.config
    async with context.db.begin() as session:
        due = await list_due_feedback(config.schedule.feedback_delay_hours, session=session)
        queued = sum([await queue_feedback(config, d, session=session) for d in due])
    if queued:
        logger.info("feedback polls: %d queued", queued)


async def waitlist_job(context: Context) -> None:
    """Lapse seat offers whose claim window ended and offer free seats to the next in line."""
    config = context.config
    window = timedelta(hours=config.schedule.waitlist_claim_hours)
    async with context.db.begin() as session:
        # Unpaid holds end first, so the seats they free are offered in the same tick.
        unpaid = await expire_holds(session=session)
        lapsed, offered = await expire_offers(session=session, offer_window=window)
        salons = {}
        for signup in [*lapsed, *offered]:
            if signup.salon_id not in salons:
                salons[signup.salon_id] = await get_salon(signup.salon_id, session=session)
        # At the start the remaining offers lapse too; "join again" would be no help then.
        now = utcnow()
        still_open = [s for s in lapsed if salons[s.salon_id].starts_at > now]
        await queue_lapsed(config, salons, still_open, session=session)
        await queue_unpaid(config, unpaid, session=session, now=now)
        for salon_id, salon in salons.items():
            mine = [s for s in offered if s.salon_id == salon_id]
            await queue_offers(config, salon, mine, session=session)
    if lapsed or offered or unpaid:
        logger.info("waitlist: %d unpaid holds ended, %d offers lapsed, %d seats offered",
                    len(unpaid), len(lapsed), len(offered))  # fmt: skip


async def nightly_training_job(context: Context) -> None:
    """Rebuild a community's (the job's data; None: every one's) segments, model and scores.

    A failure keeps the old model.
    """
    from bot.models.training import (
        train_community,  # pandas and scikit-learn load only when it runs
    )

    only = context.job.data if context.job is not None else None
    for community in context.config.communities:
        if only is not None and community.chat_id != only:
            continue
        try:
            run_id = await train_community(context.db, context.config, community.chat_id)
        except Exception:
            logger.exception("training failed for community %s; the previous model stays",
                             community.chat_id)  # fmt: skip
        else:
            logger.info("trained community %s (run %s)", community.chat_id, run_id)


async def mark_no_shows_job(context: Context) -> None:
    """Going members of ended salons who never checked in become no-shows (idempotent)."""
    async with context.db.begin() as session:
        count = await mark_no_shows(session=session)
    if count:
        logger.info("marked %s no-shows", count)


async def flush_activity_job(context: Context) -> None:
    """Start writing the activity events buffered since the last flush (returns at once)."""
    if context.bot_data.activity is not None:
        context.bot_data.activity.flush_soon()


# An organizer's dialogue or draft (a "Message attendees" text) untouched this long is deleted.
ABANDONED_DIALOGUE = timedelta(days=7)


async def retention_job(context: Context) -> None:
    """Delete stored message text and raw events past the privacy windows (rollups stay),
    and dialogues and drafts abandoned for a week."""
    privacy = context.config.privacy
    now = utcnow()
    async with context.db.begin() as session:
        purged = await purge_expired_activity(
            session=session,
            text_before=now - timedelta(days=privacy.retention_days),
            raw_before=now - timedelta(days=privacy.raw_event_days),
            dialogues_before=now - ABANDONED_DIALOGUE,
        )
    logger.info("retention: %s", ", ".join(f"{k} {v}" for k, v in purged.items()))


async def campaigns_job(context: Context) -> None:
    """Start automatic campaigns, send the waves that are due, refresh the uplift figures."""
    started = await autostart_campaigns(context.db, context.config)
    queued = await run_due_waves(context.db, context.config)
    await measure_campaigns(context.db)
    if started or queued:
        logger.info("campaigns: %d started automatically, %d invitations queued", started, queued)


async def organizers_job(context: Context) -> None:
    """Queue the organizers' immediate notes and the digests that are due."""
    queued = await tell_organizers(context.db, context.config)
    if queued:
        logger.info("organizer notes and digests: %d queued", queued)


async def series_job(context: Context) -> None:
    """Create the occurrences of recurring salons that came into the window."""
    made = await extend_series(context.db, context.config, context.bot.username)
    if made:
        logger.info("recurring salons: %d occurrences created", made)
