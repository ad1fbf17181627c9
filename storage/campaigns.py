"""Invitation campaigns: create one per salon, record its waves, derive what is due."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, Invitation, OutboxMessage, Salon
from storage.models.campaigns import (
    CAMPAIGN_ACTIVE,
    CAMPAIGN_FINISHED,
    INV_PENDING,
    INV_WITHHELD,
)
from storage.models.outbox import PENDING
from storage.models.salons import SALON_PUBLISHED
from storage.types import utcnow
from storage.upsert import insert_for


@dataclass(frozen=True)
class CampaignParams:
    """What an organizer (or the automatic start) chose for a campaign."""

    min_probability: float
    max_invitations: int | None
    segments: tuple[str, ...] | None
    holdout_share: float
    seed: int
    overbook: float
    wave_hours: float
    spread_hours: float
    window_ends_at: datetime
    auto: bool = False
    created_by: int | None = None


@dataclass(frozen=True)
class PlannedInvitation:
    """One member of a wave: invited (with the message to queue) or withheld."""

    user_id: int
    probability: float
    segment: str
    holdout: bool
    send_at: datetime | None = None
    payload: dict | None = None
    reason: str | None = None


async def add_campaign(
    salon: Salon, params: CampaignParams, *, session: AsyncSession
) -> Campaign | None:
    """Start the salon's campaign; None when it already has one (one campaign per salon)."""
    insert = insert_for(session)
    stmt = (
        insert(Campaign)
        .values(
            salon_id=salon.id, community_id=salon.community_id, status=CAMPAIGN_ACTIVE,
            auto=params.auto, created_by=params.created_by,
            min_probability=params.min_probability, max_invitations=params.max_invitations,
            segments=list(params.segments) if params.segments is not None else None,
            holdout_share=params.holdout_share, seed=params.seed, overbook=params.overbook,
            wave_hours=params.wave_hours, spread_hours=params.spread_hours,
            window_ends_at=params.window_ends_at, waves=0, created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["salon_id"])
        .returning(Campaign.id)
    )  # fmt: skip
    campaign_id = (await session.execute(stmt)).scalar_one_or_none()
    return None if campaign_id is None else await session.get(Campaign, campaign_id)


async def get_campaign(campaign_id: int, *, session: AsyncSession) -> Campaign | None:
    """The campaign with this id."""
    return await session.get(Campaign, campaign_id)


async def get_salon_campaign(salon_id: int, *, session: AsyncSession) -> Campaign | None:
    """The salon's campaign, if one was started."""
    return (await session.scalars(select(Campaign).where(Campaign.salon_id == salon_id))).first()


async def lock_campaign(campaign_id: int, *, session: AsyncSession) -> Campaign | None:
    """The campaign, locked for this transaction (so one process runs a wave at a time)."""
    query = (
        select(Campaign)
        .where(Campaign.id == campaign_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).first()


async def add_wave(
    campaign: Campaign,
    planned: Iterable[PlannedInvitation],
    *,
    session: AsyncSession,
    now: datetime | None = None,
) -> int:
    """Record a wave: invitation rows, an outbox message for each invited member.

    Everything happens in the caller's transaction, so a wave is stored whole or not at all;
    the outbox key `invite:<salon>:<user>` and the (salon, user) uniqueness of invitations
    make sure no member is invited to a salon twice. Returns the number of messages queued.
    """
    now = now or utcnow()
    wave = campaign.waves + 1
    planned = list(planned)
    insert = insert_for(session)
    keys = {f"invite:{campaign.salon_id}:{p.user_id}": p for p in planned if not p.holdout}
    taken = await _existing_keys(list(keys), session=session)
    fresh = {key: p for key, p in keys.items() if key not in taken}
    if fresh:
        rows = [
            {"dedupe_key": key, "kind": "invitation", "chat_id": p.user_id, "user_id": p.user_id,
             "salon_id": campaign.salon_id, "method": "sendMessage", "payload": p.payload or {},
             "status": PENDING, "priority": 0, "not_before": p.send_at or now, "attempts": 0,
             "created_at": now}
            for key, p in fresh.items()
        ]  # fmt: skip
        stmt = insert(OutboxMessage).on_conflict_do_nothing(index_elements=["dedupe_key"])
        await session.execute(stmt, rows)
    outbox_ids = await _existing_keys(list(fresh), session=session)
    members = [
        p for p in planned if p.holdout or f"invite:{campaign.salon_id}:{p.user_id}" in fresh
    ]
    rows = [
        {"campaign_id": campaign.id, "salon_id": campaign.salon_id, "user_id": p.user_id,
         "wave": wave, "holdout": p.holdout, "probability": float(p.probability),
         "segment": p.segment[:32], "reason": p.reason,
         "status": INV_WITHHELD if p.holdout else INV_PENDING,
         "outbox_id": None if p.holdout else outbox_ids[f"invite:{campaign.salon_id}:{p.user_id}"],
         "send_at": p.send_at, "created_at": now}
        for p in members
    ]  # fmt: skip
    if rows:
        stmt = insert(Invitation).on_conflict_do_nothing(index_elements=["salon_id", "user_id"])
        await session.execute(stmt, rows)
    campaign.waves, campaign.last_wave_at = wave, now
    await session.flush()
    return len(fresh)


async def _existing_keys(keys: list[str], *, session: AsyncSession) -> dict[str, int]:
    """Outbox dedupe key -> id for those of `keys` already queued."""
    found: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        rows = await session.execute(
            select(OutboxMessage.dedupe_key, OutboxMessage.id).where(
                OutboxMessage.dedupe_key.in_(keys[start : start + 500])
            )
        )
        found.update(dict(rows.all()))
    return found


async def finish_campaign(campaign: Campaign, reason: str, *, session: AsyncSession) -> None:
    """No more waves: the audience, the window or the seats are exhausted (or it was stopped)."""
    campaign.status, campaign.finish_reason, campaign.finished_at = (
        CAMPAIGN_FINISHED, reason[:32], utcnow(),
    )  # fmt: skip
    await session.flush()


async def list_active_campaigns(*, session: AsyncSession) -> list[Campaign]:
    """Campaigns that may still send waves."""
    rows = await session.scalars(
        select(Campaign).where(Campaign.status == CAMPAIGN_ACTIVE).order_by(Campaign.id)
    )
    return list(rows)


async def list_salons_to_autostart(
    days_before: float, *, session: AsyncSession, now: datetime | None = None
) -> list[Salon]:
    """Published salons starting within `days_before` days that have no campaign yet."""
    now = now or utcnow()
    has_campaign = select(Campaign.id).where(Campaign.salon_id == Salon.id).exists()
    rows = await session.scalars(
        select(Salon)
        .where(
            Salon.status == SALON_PUBLISHED,
            Salon.starts_at > now,
            Salon.starts_at <= now + timedelta(days=days_before),
            ~has_campaign,
        )
        .order_by(Salon.starts_at, Salon.id)
    )
    return list(rows)


@dataclass(frozen=True)
class CampaignCounts:
    """How a campaign stands: invitations by status, holdout size, expected pending."""

    by_status: dict[str, int]
    holdout: int
    invited: int
    pending_probability: float


async def count_campaign(campaign_id: int, *, session: AsyncSession) -> CampaignCounts:
    """Invitations by status, the holdout, and Σ p of invitations not yet delivered."""
    rows = await session.execute(
        select(Invitation.status, func.count(), func.sum(Invitation.probability))
        .where(Invitation.campaign_id == campaign_id)
        .group_by(Invitation.status)
    )
    by_status, pending = {}, 0.0
    for status, count, probability in rows:
        by_status[status] = count
        if status == INV_PENDING:
            pending = float(probability or 0.0)
    holdout = by_status.get(INV_WITHHELD, 0)
    invited = sum(by_status.values()) - holdout
    return CampaignCounts(by_status, holdout, invited, pending)


async def set_uplift(campaign_id: int, uplift: dict, *, session: AsyncSession) -> None:
    """Store the campaign's latest uplift estimate."""
    await session.execute(update(Campaign).where(Campaign.id == campaign_id).values(uplift=uplift))
