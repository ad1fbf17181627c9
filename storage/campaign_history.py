"""What a community's past campaigns tell the next one: how well their predictions held."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, Salon


async def get_prediction_record(
    community_id: int, *, session: AsyncSession, now: datetime, exclude: int | None = None
) -> tuple[float, int]:
    """(predicted, actual) signups of invited members over the community's measured campaigns
    whose salon has started (their figures are final); `exclude` a campaign id."""
    query = (
        select(Campaign.id, Campaign.uplift)
        .join(Salon, Salon.id == Campaign.salon_id)
        .where(Campaign.community_id == community_id, Salon.starts_at <= now)
    )
    predicted, actual = 0.0, 0
    for campaign_id, figures in await session.execute(query):
        if campaign_id == exclude or not figures or "predicted_signups" not in figures:
            continue
        predicted += float(figures["predicted_signups"] or 0.0)
        actual += int(figures.get("invited_signups") or 0)
    return predicted, actual
