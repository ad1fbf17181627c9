"""Invitation campaigns: preview, start, waves (an idempotent tick), uplift.

The pure decisions (ranking, wave size, holdout, send time, the "why you" line) live in
recommender/selection.py; the rows in storage/campaigns.py. A wave is planned and stored in
one transaction together with its outbox messages, so after a crash it exists whole or not at
all, and the outbox dispatcher sends each invitation at most once.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.campaigns.texts import Audience, PreviewFigures, invitation_payload
from bot.campaigns.uplift import measure_campaign
from bot.common.config import Config
from bot.models.training import score_salon
from bot.salons.member_texts import member_language
from recommender.model import expected_turnout
from recommender.selection import (
    calibration_ratio,
    detectable_uplift,
    most_active_hour,
    plan_wave,
    rank_candidates,
    send_time,
    why_invited,
)
from storage.campaign_history import get_prediction_record
from storage.campaigns import (
    CampaignParams,
    PlannedInvitation,
    add_campaign,
    add_wave,
    count_campaign,
    finish_campaign,
    get_salon_campaign,
    list_active_campaigns,
    list_salons_to_autostart,
    lock_campaign,
)
from storage.frames_campaigns import candidates_frame, count_scores
from storage.invitations import list_member_facts
from storage.models import Campaign, Salon
from storage.models.salons import SALON_PUBLISHED
from storage.salons import get_salon
from storage.send_hours import list_hour_counts
from storage.stats_salons import list_campaigns_to_measure
from storage.types import split_tags, utcnow

logger = logging.getLogger(__name__)


def campaign_seed(config: Config, salon_id: int) -> int:
    """The holdout seed of a salon's campaign: from [models] random_state, recorded with it."""
    return (config.models.random_state * 1_000_003 + salon_id) % 2**31


def free_seats(salon: Salon) -> int | None:
    """Seats not yet held (None: no limit)."""
    return None if salon.capacity is None else max(salon.capacity - salon.going_count, 0)


async def ensure_scores(db: async_sessionmaker, config: Config, salon_id: int) -> bool:
    """Make sure the salon has stored predictions (scoring it if not); False if impossible."""
    async with db.begin() as session:
        if await count_scores(salon_id, session=session):
            return True

    try:
        await score_salon(db, config, salon_id)
    except (LookupError, ValueError) as error:
        logger.warning("salon %s cannot be scored: %s", salon_id, error)
        return False
    return True


async def _eligible(session: AsyncSession, config: Config, salon: Salon, now: datetime):
    return await candidates_frame(
        salon, session=session, frequency_cap=config.campaigns.frequency_cap,
        frequency_days=config.campaigns.frequency_days, now=now,
    )  # fmt: skip


async def _calibrated(
    session: AsyncSession, salon: Salon, ranked: pd.DataFrame, now: datetime,
    exclude: int | None = None,
) -> pd.DataFrame:  # fmt: skip
    """Ranked candidates with probabilities scaled by how the community's past campaigns'
    predictions held (more signups than predicted: smaller waves), so a wave aims at the
    free seats with calibrated probabilities. The model's own probability stays in `raw`:
    invitations store it, so the next campaign's record compares like with like."""
    predicted, actual = await get_prediction_record(salon.community_id, session=session, now=now,
                                                    exclude=exclude)  # fmt: skip
    ratio = calibration_ratio(predicted, actual)
    return ranked.assign(raw=ranked["probability"],
                         probability=(ranked["probability"] * ratio).clip(upper=0.99))  # fmt: skip


def _need(salon: Salon, overbook: float, pending_probability: float) -> float:
    """Expected signups still wanted: free seats times the overbook factor, minus the
    expected signups of invitations not yet delivered."""
    free = free_seats(salon)
    return math.inf if free is None else free * overbook - pending_probability


def _plan(ranked: pd.DataFrame, campaign_like, counts, need: float) -> pd.DataFrame:
    limit = None
    if campaign_like.max_invitations is not None:
        limit = max(campaign_like.max_invitations - counts[0], 0)
    return plan_wave(ranked, need=need, share=campaign_like.holdout_share, seed=campaign_like.seed,
                     limit=limit, assigned_before=counts[0] + counts[1],
                     holdout_before=counts[1])  # fmt: skip


@dataclass(frozen=True)
class _Draft:
    """A campaign not yet stored (what the preview plans with)."""

    min_probability: float
    max_invitations: int | None
    segments: tuple[str, ...] | None
    holdout_share: float
    seed: int


def holdout_share(config: Config, audience: Audience) -> float:
    """The organizer's chosen holdout share, else the configured one."""
    return config.campaigns.holdout_share if audience.holdout is None else audience.holdout


def _draft(config: Config, salon: Salon, audience: Audience) -> _Draft:
    return _Draft(audience.min_probability, audience.max_invitations, audience.segments,
                  holdout_share(config, audience), campaign_seed(config, salon.id))  # fmt: skip


def _counts(frame: pd.DataFrame) -> dict[str, int]:
    return {str(k): int(v) for k, v in frame["segment"].value_counts().items()}


async def preview(
    db: async_sessionmaker, config: Config, salon: Salon, audience: Audience
) -> PreviewFigures:
    """What a campaign with this audience would do now (nothing is stored)."""
    now = utcnow()
    async with db.begin() as session:
        eligible = await _eligible(session, config, salon, now)
        ranked = rank_candidates(eligible, min_probability=audience.min_probability,
                                 segments=audience.segments)  # fmt: skip
        ranked = await _calibrated(session, salon, ranked, now)
    names = sorted(set(eligible["segment"]))
    draft = _draft(config, salon, audience)
    wave = _plan(ranked, draft, (0, 0), _need(salon, config.campaigns.overbook, 0.0))
    invited = wave[~wave["holdout"]]
    withheld = int(wave["holdout"].sum())
    base = float(invited["probability"].mean()) if len(invited) else 0.0
    return PreviewFigures(
        eligible=len(eligible), eligible_by_segment=_counts(eligible), invited=len(invited),
        invited_by_segment=_counts(invited), holdout=withheld,
        expected=expected_turnout(invited["probability"]), free_seats=free_seats(salon),
        window_ends_at=window_end(config, salon, now), names=names,
        holdout_share=draft.holdout_share,
        detectable=detectable_uplift(len(invited), withheld, base),
    )  # fmt: skip


async def segment_names(db: async_sessionmaker, config: Config, salon: Salon) -> list[str]:
    """The segments among the salon's eligible members, sorted (the preview's toggles)."""
    async with db.begin() as session:
        eligible = await _eligible(session, config, salon, utcnow())
    return sorted(set(eligible["segment"]))


def window_end(config: Config, salon: Salon, now: datetime) -> datetime:
    """The end of a campaign's send window started now."""
    return min(now + timedelta(hours=config.campaigns.window_hours), salon.starts_at)


async def _build(
    session: AsyncSession, config: Config, campaign: Campaign, salon: Salon, wave: pd.DataFrame,
    now: datetime,
) -> list[PlannedInvitation]:  # fmt: skip
    """Each wave member's invitation: text in their language, why-line, send time."""
    invited = [int(u) for u, h in zip(wave["user_id"], wave["holdout"], strict=True) if not h]
    facts = await list_member_facts(salon, invited, session=session, now=now)
    since = now - timedelta(days=config.campaigns.activity_days)
    hours = await list_hour_counts(salon.community_id, invited, since, session=session)
    community = config.community(salon.community_id)
    zone = community.zone if community else None
    latest = min(now + timedelta(hours=campaign.spread_hours), campaign.window_ends_at)
    tags = split_tags(salon.tags)
    planned = []
    for row in wave.itertuples(index=False):
        user_id = int(row.user_id)
        if row.holdout:
            planned.append(PlannedInvitation(user_id, row.probability, row.segment, True))
            continue
        fact = facts.get(user_id)
        if fact is None:
            continue
        kind, detail = why_invited(tags, fact.attended, fact.talked, now)
        at = now
        if zone is not None:
            at = send_time(now, active_hour=most_active_hour(hours.get(user_id, [])), zone=zone,
                           quiet_start=config.messaging.quiet_hours_start,
                           quiet_end=config.messaging.quiet_hours_end, latest=latest)  # fmt: skip
        language = member_language(config, salon, fact.language_code)
        payload = invitation_payload(config, salon, language, fact.first_name, kind, detail)
        # Written again when sent (bot/outbox/render.py): the salon may change meanwhile.
        payload["_render"] = {"type": "invitation", "language": language,
                              "name": fact.first_name, "kind": kind, "detail": detail}  # fmt: skip
        planned.append(PlannedInvitation(user_id, row.probability, row.segment, False, at,
                                         payload, kind))  # fmt: skip
    return planned


async def _run_wave(
    session: AsyncSession, config: Config, campaign: Campaign, salon: Salon, now: datetime
) -> int | None:
    """Plan and store the next wave: the number queued, or None when none is needed now.

    Finishes the campaign when the audience, the window or the invitation limit is used up.
    """
    if salon.status != SALON_PUBLISHED or salon.starts_at <= now:
        await finish_campaign(campaign, "salon_closed", session=session)
        return 0
    if now >= campaign.window_ends_at:
        await finish_campaign(campaign, "window", session=session)
        return 0
    counts = await count_campaign(campaign.id, session=session)
    if campaign.max_invitations is not None and counts.invited >= campaign.max_invitations:
        await finish_campaign(campaign, "max_invitations", session=session)
        return 0
    need = _need(salon, campaign.overbook, counts.pending_probability)
    if need <= 0:
        return None
    eligible = await _eligible(session, config, salon, now)
    ranked = rank_candidates(eligible, min_probability=campaign.min_probability,
                             segments=campaign.segments)  # fmt: skip
    ranked = await _calibrated(session, salon, ranked, now, exclude=campaign.id)
    wave = _plan(ranked, campaign, (counts.invited, counts.holdout), need)
    wave = wave.assign(probability=wave["raw"]) if "raw" in wave else wave
    if wave.empty or wave["holdout"].all():
        await finish_campaign(campaign, "audience", session=session)
        return 0
    planned = await _build(session, config, campaign, salon, wave, now)
    return await add_wave(campaign, planned, session=session, now=now)


@dataclass(frozen=True)
class Started:
    """What starting a campaign did: the campaign (or the one already running), and counts."""

    campaign: Campaign
    created: bool
    queued: int = 0
    holdout: int = 0


async def start_campaign(
    db: async_sessionmaker,
    config: Config,
    salon_id: int,
    audience: Audience,
    *,
    created_by: int | None = None,
    auto: bool = False,
) -> Started | None:
    """Create the salon's campaign and send its first wave (None: the salon is not open)."""
    now = utcnow()
    settings = config.campaigns
    async with db.begin() as session:
        salon = await get_salon(salon_id, session=session)
        if salon is None or salon.status != SALON_PUBLISHED or salon.starts_at <= now:
            return None
        params = CampaignParams(
            min_probability=audience.min_probability, max_invitations=audience.max_invitations,
            segments=audience.segments, holdout_share=holdout_share(config, audience),
            seed=campaign_seed(config, salon.id), overbook=settings.overbook,
            wave_hours=settings.wave_hours, spread_hours=settings.spread_hours,
            window_ends_at=window_end(config, salon, now), auto=auto, created_by=created_by,
        )  # fmt: skip
        campaign = await add_campaign(salon, params, session=session)
        if campaign is None:
            return Started(await get_salon_campaign(salon.id, session=session), False)
        queued = await _run_wave(session, config, campaign, salon, now) or 0
        counts = await count_campaign(campaign.id, session=session)
    logger.info("campaign %s for salon %s: %d invitations queued, %d withheld",
                campaign.id, salon_id, queued, counts.holdout)  # fmt: skip
    return Started(campaign, True, queued, counts.holdout)


async def run_due_waves(db: async_sessionmaker, config: Config) -> int:
    """The tick: send the next wave of every campaign whose wave time has come; store uplift.

    Safe to run twice or in two processes: each campaign is locked and re-checked.
    """
    queued = 0
    async with db.begin() as session:
        campaign_ids = [c.id for c in await list_active_campaigns(session=session)]
    for campaign_id in campaign_ids:
        async with db.begin() as session:
            now = utcnow()
            campaign = await lock_campaign(campaign_id, session=session)
            if campaign is None or campaign.status != "active":
                continue
            salon = await get_salon(campaign.salon_id, session=session)
            due = campaign.last_wave_at is None or now >= campaign.last_wave_at + timedelta(
                hours=campaign.wave_hours
            )
            if due or salon.starts_at <= now or now >= campaign.window_ends_at:
                queued += await _run_wave(session, config, campaign, salon, now) or 0
            await measure_campaign(campaign_id, session=session, now=now)
    return queued


async def measure_campaigns(db: async_sessionmaker) -> int:
    """Refresh the stored /stats figures of campaigns whose salon started < a day ago."""
    async with db.begin() as session:
        ids = await list_campaigns_to_measure(session=session, now=utcnow())
    for campaign_id in ids:
        async with db.begin() as session:
            await measure_campaign(campaign_id, session=session, now=utcnow())
    return len(ids)


async def autostart_campaigns(db: async_sessionmaker, config: Config) -> int:
    """Start campaigns for salons starting within `auto_days_before` days (0: never)."""
    days = config.campaigns.auto_days_before
    if days <= 0:
        return 0
    async with db.begin() as session:
        salon_ids = [s.id for s in await list_salons_to_autostart(days, session=session)]
    started = 0
    defaults = Audience(config.campaigns.min_probability, config.campaigns.max_invitations or None)
    for salon_id in salon_ids:
        if not await ensure_scores(db, config, salon_id):
            continue
        result = await start_campaign(db, config, salon_id, defaults, auto=True)
        started += int(result is not None and result.created)
    return started
