"""Recurring salon series: the template, its occurrences (salons with `series_id`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Salon, SalonSeries
from storage.models.salons import SALON_CANCELLED
from storage.models.series import SERIES_ACTIVE, SERIES_STOPPED
from storage.salons import NewSalon, add_salon
from storage.types import utcnow


async def add_series(series: SalonSeries, *, session: AsyncSession) -> SalonSeries:
    """Store a new series."""
    session.add(series)
    await session.flush()
    return series


async def get_series(series_id: int, *, session: AsyncSession) -> SalonSeries | None:
    """A series by id."""
    return await session.get(SalonSeries, series_id)


async def lock_series(series_id: int, *, session: AsyncSession) -> SalonSeries | None:
    """The series, locked for this transaction (its occurrences are made one tick at a time)."""
    query = (
        select(SalonSeries)
        .where(SalonSeries.id == series_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return (await session.scalars(query)).first()


async def list_series(
    community_ids: list[int], *, session: AsyncSession, active_only: bool = True
) -> list[SalonSeries]:
    """The series of these communities (active ones only, unless asked)."""
    query = select(SalonSeries).where(SalonSeries.community_id.in_(community_ids))
    if active_only:
        query = query.where(SalonSeries.status == SERIES_ACTIVE)
    return list(await session.scalars(query.order_by(SalonSeries.id)))


async def list_active_series_ids(*, session: AsyncSession) -> list[int]:
    """Every active series."""
    query = select(SalonSeries.id).where(SalonSeries.status == SERIES_ACTIVE)
    return list(await session.scalars(query.order_by(SalonSeries.id)))


async def add_occurrences(
    series: SalonSeries, starts: list[datetime], *, session: AsyncSession
) -> list[Salon]:
    """Create the occurrences at `starts` that do not exist yet (the series must be locked)."""
    existing = set(
        await session.scalars(select(Salon.starts_at).where(Salon.series_id == series.id))
    )
    created = []
    for start in starts:
        if start in existing:
            continue
        salon = await add_salon(
            NewSalon(series.community_id, series.title, start, series.capacity,
                     location=series.location, description=series.description,
                     created_by=series.created_by),
            session=session,
        )  # fmt: skip
        salon.series_id = series.id
        created.append(salon)
    await session.flush()
    return created


async def list_future_occurrences(
    series_id: int, *, session: AsyncSession, now: datetime | None = None
) -> list[Salon]:
    """The series' salons not yet started and not cancelled, soonest first."""
    query = select(Salon).where(
        Salon.series_id == series_id,
        Salon.starts_at > (now or utcnow()),
        Salon.status != SALON_CANCELLED,
    )
    return list(await session.scalars(query.order_by(Salon.starts_at)))


async def stop_series(series_id: int, *, session: AsyncSession) -> bool:
    """No more occurrences are made; False if it was stopped already."""
    result = await session.execute(
        update(SalonSeries)
        .where(SalonSeries.id == series_id, SalonSeries.status == SERIES_ACTIVE)
        .values(status=SERIES_STOPPED)
    )
    return result.rowcount == 1
