"""A member's control over their data: export it, stop tracking or invitations, delete it.

Deletion follows three lists, one entry per column that can hold a user id (docs/privacy.md
explains each table; a test fails when a new table's user-id column is in none of them):

- `PERSONAL`: rows about the person; deleted.
- `LINKS`: other people's rows that point at the person (a reply to them, a reaction to their
  message, a salon they created as organizer); the row and its counts stay, the id becomes NULL.
- `ACCOUNTING`: rows that must be kept for accounting (payments); kept with the person's id
  replaced by NULL and nothing else of theirs (no name is stored there). A Stars refund still
  due keeps the id until it went through (refundStarPayment needs it): `user_erased` marks it.
  Aggregate counts (salons.going_count, other members' rollups, anonymous reaction totals)
  are kept consistent, not deleted.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Table, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.admins import drop_admins
from storage.erasures import add_erasure
from storage.invitations import stop_invitations
from storage.models import (
    Campaign,
    Dialogue,
    ErasedUser,
    GroupMessage,
    Invitation,
    LeaderboardOptIn,
    MemberChange,
    MemberRate,
    MemberScore,
    MemberSegment,
    Membership,
    OutboxMessage,
    Payment,
    PointEntry,
    Poll,
    Reaction,
    Referral,
    Salon,
    SalonActivity,
    SalonMaterials,
    SalonOrganizer,
    SalonSeries,
    Signup,
    User,
)
from storage.models.activity import activity_daily
from storage.models.payments import REFUND_DUE
from storage.models.salons import HOLDS_SEAT
from storage.signups import lock_salon
from storage.types import utcnow
from storage.upsert import insert_for

# Deleted with the person (signups first: they release seats; invitations before the outbox).
PERSONAL: tuple[Column, ...] = (
    Signup.__table__.c.user_id,
    Invitation.__table__.c.user_id,
    OutboxMessage.__table__.c.user_id,
    OutboxMessage.__table__.c.chat_id,  # their private chat (user id == private chat id)
    Poll.__table__.c.user_id,
    SalonActivity.__table__.c.user_id,  # what organizers were told (a comment, a signup)
    SalonOrganizer.__table__.c.user_id,
    MemberScore.__table__.c.user_id,
    MemberSegment.__table__.c.user_id,
    activity_daily.c.user_id,
    GroupMessage.__table__.c.user_id,
    Reaction.__table__.c.user_id,
    MemberChange.__table__.c.user_id,
    PointEntry.__table__.c.user_id,
    Referral.__table__.c.referred_user_id,
    Referral.__table__.c.referrer_user_id,
    LeaderboardOptIn.__table__.c.user_id,
    Membership.__table__.c.user_id,
    MemberRate.__table__.c.user_id,
    Dialogue.__table__.c.user_id,
)
# Other people's rows pointing at the person: kept, the link is set to NULL.
LINKS: tuple[Column, ...] = (
    GroupMessage.__table__.c.reply_to_user_id,
    Reaction.__table__.c.target_user_id,
    Salon.__table__.c.created_by,
    Campaign.__table__.c.created_by,
    SalonMaterials.__table__.c.added_by,
    SalonOrganizer.__table__.c.added_by,
    SalonSeries.__table__.c.created_by,
)
# The erasure list: the one row kept, the id alone, so that deletion stays final.
ERASURE: tuple[Column, ...] = (ErasedUser.__table__.c.user_id,)
# Kept for accounting with the person's id set to NULL (see `_KEEP_UNTIL_REFUNDED`).
ACCOUNTING: tuple[Column, ...] = (Payment.__table__.c.user_id,)
# Accounting rows whose id stays (flagged `user_erased`) until a refund to the person is done.
_KEEP_UNTIL_REFUNDED = {Payment.__table__.c.user_id: Payment.__table__.c.status == REFUND_DUE}


def _key(column: Column) -> str:
    return f"{column.table.name}.{column.name}"


async def delete_user_data(user_id: int, *, session: AsyncSession) -> dict[str, int]:
    """Remove every personal row of the user; returns rows affected per `table.column`.

    Seats the person held are released (the waitlist tick offers them to the next in line).
    The caller's transaction makes it all-or-nothing.
    """
    counts: dict[str, int] = {}
    held = await session.execute(
        select(Signup.salon_id, func.count())
        .where(Signup.user_id == user_id, Signup.status.in_(HOLDS_SEAT))
        .group_by(Signup.salon_id)
        .order_by(Signup.salon_id)  # one lock order, like every seat change
    )
    for salon_id, seats in held.all():
        salon = await lock_salon(salon_id, session=session)
        salon.going_count = max(salon.going_count - seats, 0)
    await session.flush()
    for column in PERSONAL:
        result = await session.execute(delete(column.table).where(column == user_id))
        counts[_key(column)] = result.rowcount
    for column in ACCOUNTING:
        keep = _KEEP_UNTIL_REFUNDED.get(column)
        if keep is not None:
            await session.execute(
                update(column.table).where(column == user_id, keep).values(user_erased=True)
            )
        where = [column == user_id] + ([~keep] if keep is not None else [])
        result = await session.execute(
            update(column.table).where(*where).values({column.name: None})
        )
        counts[_key(column)] = result.rowcount
    for column in LINKS:
        result = await session.execute(
            update(column.table).where(column == user_id).values({column.name: None})
        )
        counts[_key(column)] = result.rowcount
    result = await session.execute(delete(User).where(User.id == user_id))
    counts["users.id"] = result.rowcount
    await drop_admins(None, utcnow(), session=session)  # admin lists may name them
    await add_erasure(user_id, session=session)  # so that nothing brings them back
    return counts


def count_deleted(counts: dict[str, int]) -> int:
    """How many of the person's own rows `delete_user_data` deleted (links not counted)."""
    unlinked = {_key(c) for c in (*LINKS, *ACCOUNTING)}
    return sum(n for key, n in counts.items() if key not in unlinked)


async def set_tracking(user_id: int, *, enabled: bool, session: AsyncSession) -> None:
    """Turn logging of the member's messages and reactions (and model training) on or off."""
    await _set_flag(user_id, "tracking_opt_out", not enabled, session=session)


async def set_invitations(user_id: int, *, enabled: bool, session: AsyncSession) -> int:
    """Allow or stop invitations; stopping withdraws queued ones (returns how many)."""
    if not enabled:
        await _set_flag(user_id, "invites_opt_out", True, session=session)
        return await stop_invitations(user_id, session=session)
    await _set_flag(user_id, "invites_opt_out", False, session=session)
    return 0


async def _set_flag(user_id: int, name: str, value: bool, *, session: AsyncSession) -> None:
    # A member never seen before gets a bare row, so their choice is remembered.
    now = utcnow()
    stmt = insert_for(session)(User).values(
        id=user_id, first_name="", dm_status="unknown", created_at=now, updated_at=now,
        **{name: value},
    )  # fmt: skip
    set_ = {name: value, "updated_at": now}
    await session.execute(stmt.on_conflict_do_update(index_elements=["id"], set_=set_))


async def get_privacy_choices(user_id: int, *, session: AsyncSession) -> tuple[bool, bool]:
    """(tracking on, invitations on) for the member; both on for someone never seen."""
    row = (
        await session.execute(
            select(User.tracking_opt_out, User.invites_opt_out).where(User.id == user_id)
        )
    ).first()
    if row is None:
        return True, True
    return not row.tracking_opt_out, not row.invites_opt_out


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _rows(table: Table, rows) -> list[dict]:
    names = [c.name for c in table.columns]
    return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in rows]


async def _select(table: Table, *where, session: AsyncSession, order=None) -> list[dict]:
    query = select(*table.columns).where(*where)
    order = order if order is not None else list(table.primary_key.columns)
    rows = (await session.execute(query.order_by(*order))).all()
    return _rows(table, rows)


async def export_user_data(user_id: int, *, session: AsyncSession) -> dict:
    """Everything stored about the member, as JSON-ready values (one list per table)."""
    models = (User, Membership, GroupMessage, Reaction, MemberChange, MemberSegment,
              MemberScore, Poll, Invitation, OutboxMessage, PointEntry, LeaderboardOptIn,
              Referral, SalonActivity)  # fmt: skip
    t = {m.__tablename__: m.__table__ for m in models}
    users = await _select(t["users"], t["users"].c.id == user_id, session=session)
    data: dict[str, Any] = {
        "user_id": user_id,
        "exported_at": utcnow().isoformat(),
        "user": users[0] if users else None,
    }
    by_user = {
        "memberships": t["memberships"],
        "activity_daily": activity_daily,
        "messages": t["group_messages"],
        "reactions": t["reaction_events"],
        "member_events": t["member_events"],
        "segments": t["member_segments"],
        "scores": t["member_scores"],
        "polls": t["polls"],
        "invitations": t["invitations"],
        "points": t["member_points"],
        "leaderboard_optins": t["leaderboard_optins"],
        "salon_activity": t["salon_activity"],
    }
    for name, table in by_user.items():
        data[name] = await _select(table, table.c.user_id == user_id, session=session)
    referrals = t["referrals"]
    data["referrals"] = await _select(
        referrals,
        or_(referrals.c.referrer_user_id == user_id, referrals.c.referred_user_id == user_id),
        session=session,
    )
    data["signups"] = await _signups(user_id, session=session)
    data["payments"] = await _payments(user_id, session=session)
    outbox = t["outbox"]
    data["outbox"] = await _select(
        outbox, or_(outbox.c.user_id == user_id, outbox.c.chat_id == user_id), session=session
    )
    return data


async def _signups(user_id: int, *, session: AsyncSession) -> list[dict]:
    """The member's signups with the salon's title and code (ratings and comments included)."""
    table = Signup.__table__
    query = (
        select(*table.columns, Salon.title, Salon.short_code, Salon.starts_at)
        .join(Salon, Salon.id == table.c.salon_id)
        .where(table.c.user_id == user_id)
        .order_by(table.c.id)
    )
    names = [c.name for c in table.columns] + ["salon_title", "salon_code", "salon_starts_at"]
    rows = (await session.execute(query)).all()
    return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in rows]


async def _payments(user_id: int, *, session: AsyncSession) -> list[dict]:
    """The member's payments with the salon's title and code, and what became of each."""
    table = Payment.__table__
    query = (
        select(*table.columns, Salon.title, Salon.short_code)
        .outerjoin(Salon, Salon.id == table.c.salon_id)
        .where(table.c.user_id == user_id)
        .order_by(table.c.id)
    )
    names = [c.name for c in table.columns] + ["salon_title", "salon_code"]
    rows = (await session.execute(query)).all()
    return [{n: _plain(v) for n, v in zip(names, row, strict=True)} for row in rows]
