"""Co-organizers: members a community organizer names to manage one salon (and only it)."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Salon, SalonOrganizer, User
from storage.types import utcnow
from storage.upsert import insert_for


async def add_co_organizer(
    salon_id: int, user_id: int, *, session: AsyncSession, added_by: int | None = None
) -> bool:
    """Name a co-organizer; False if they already were one."""
    stmt = (
        insert_for(session)(SalonOrganizer)
        .values(salon_id=salon_id, user_id=user_id, added_by=added_by, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["salon_id", "user_id"])
        .returning(SalonOrganizer.user_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def remove_co_organizer(salon_id: int, user_id: int, *, session: AsyncSession) -> bool:
    """Withdraw a co-organizer; False if they were not one."""
    result = await session.execute(
        delete(SalonOrganizer).where(
            SalonOrganizer.salon_id == salon_id, SalonOrganizer.user_id == user_id
        )
    )
    return result.rowcount == 1


async def list_co_organizers(salon_id: int, *, session: AsyncSession) -> list[tuple[int, str]]:
    """(user id, name) of the salon's co-organizers, in the order they were named."""
    rows = await session.execute(
        select(SalonOrganizer.user_id, User.first_name, User.username)
        .join(User, User.id == SalonOrganizer.user_id)
        .where(SalonOrganizer.salon_id == salon_id)
        .order_by(SalonOrganizer.created_at, SalonOrganizer.user_id)
    )
    return [
        (uid, first or (f"@{username}" if username else str(uid))) for uid, first, username in rows
    ]


async def get_co_organized_salon(
    salon_id: int, user_id: int, *, session: AsyncSession
) -> Salon | None:
    """The salon, if this user co-organizes it."""
    query = (
        select(Salon)
        .join(SalonOrganizer, SalonOrganizer.salon_id == Salon.id)
        .where(Salon.id == salon_id, SalonOrganizer.user_id == user_id)
    )
    return (await session.scalars(query)).first()


async def list_co_organized_salons(user_id: int, *, session: AsyncSession) -> list[Salon]:
    """The salons this user co-organizes."""
    query = (
        select(Salon)
        .join(SalonOrganizer, SalonOrganizer.salon_id == Salon.id)
        .where(SalonOrganizer.user_id == user_id)
        .order_by(Salon.starts_at)
    )
    return list(await session.scalars(query))


async def find_user_id(reference: str, *, session: AsyncSession) -> int | None:
    """A known user by numeric id or @username (case-insensitive), or None."""
    reference = reference.strip()
    if reference.lstrip("-").isdigit():
        return await session.scalar(select(User.id).where(User.id == int(reference)))
    name = reference.removeprefix("@").lower()
    if not name:
        return None
    return await session.scalar(select(User.id).where(func.lower(User.username) == name).limit(1))
