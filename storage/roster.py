"""A salon's attendee list for its organizers: one row per signup, with payment and feedback."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Payment, Signup, User
from storage.models.salons import DECLINED, GOING, HELD, LEFT, OFFERED, WAITLIST

_ORDER = {GOING: 0, OFFERED: 1, HELD: 2, WAITLIST: 3, LEFT: 4, DECLINED: 5}


@dataclass(frozen=True)
class RosterRow:
    """One member's signup: who, where they stand, what they paid, whether they came."""

    user_id: int
    name: str
    username: str | None
    status: str
    payments: tuple[tuple[str, int, str], ...]  # (payment status, amount, currency)
    checked_in: bool | None
    rating: int | None
    comment: str | None


async def list_roster(salon_id: int, *, session: AsyncSession) -> list[RosterRow]:
    """Every signup of the salon (going first, then offered, paying, waiting, left, declined)."""
    paid: dict[int, list[tuple[str, int, str]]] = defaultdict(list)
    payments = await session.execute(
        select(Payment.user_id, Payment.status, Payment.amount, Payment.currency)
        .where(Payment.salon_id == salon_id, Payment.user_id.is_not(None))
        .order_by(Payment.id)
    )
    for user_id, status, amount, currency in payments:
        paid[user_id].append((status, amount, currency))
    rows = await session.execute(
        select(Signup, User.first_name, User.last_name, User.username)
        .join(User, User.id == Signup.user_id)
        .where(Signup.salon_id == salon_id)
        .order_by(Signup.id)
    )
    roster = []
    for signup, first, last, username in rows:
        name = " ".join(p for p in (first.strip(), (last or "").strip()) if p)
        came = signup.attended if signup.checked_in_at is None else True
        roster.append(RosterRow(signup.user_id, name or str(signup.user_id), username,
                                signup.status, tuple(paid.get(signup.user_id, ())), came,
                                signup.rating, signup.comment))  # fmt: skip
    return sorted(roster, key=lambda r: _ORDER.get(r.status, 9))
