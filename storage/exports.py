"""/export: a community's members, salons, signups, campaigns and payments as rows for CSV."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    DM_REACHABLE,
    Campaign,
    MemberScore,
    MemberSegment,
    Membership,
    Payment,
    Salon,
    Signup,
    User,
)
from storage.models.payments import REFUNDING
from storage.models.salons import SALON_DRAFT
from storage.salons import list_upcoming_salons
from storage.stats_salons import list_campaign_groups, list_salon_funnels

MEMBER_COLUMNS = (
    "user_id",
    "first_name",
    "username",
    "language_code",
    "is_member",
    "joined_at",
    "left_at",
    "last_active_at",
    "reachable",
    "segment",
    "next_salon",
    "probability",
)
SALON_COLUMNS = (
    "salon_id",
    "event_id",
    "code",
    "title",
    "starts_at",
    "status",
    "capacity",
    "invited",
    "holdout",
    "joined",
    "joined_by_invitation",
    "joined_by_self",
    "waitlisted",
    "attended",
    "no_show",
    "attendance_rate",
    "rated",
    "rating_avg",
    "predicted_turnout",
    "invited_signups",
    "price",
    "currency",
    "payments",
    "gross",
    "refunds",
    "net",
)
PAYMENT_COLUMNS = (
    "payment_id",
    "salon_id",
    "code",
    "user_id",
    "currency",
    "amount",
    "status",
    "paid_at",
    "refund_reason",
    "refund_requested_at",
    "refunded_at",
    "refund_attempts",
    "refund_error",
    "telegram_payment_charge_id",
    "provider_payment_charge_id",
)
SIGNUP_COLUMNS = (
    "salon_id",
    "code",
    "user_id",
    "status",
    "source",
    "created_at",
    "responded_at",
    "attended",
    "rating",
    "comment",
)
CAMPAIGN_COLUMNS = (
    "campaign_id",
    "salon_id",
    "title",
    "status",
    "waves",
    "created_at",
    "finished_at",
    "finish_reason",
    "invited",
    "invited_signups",
    "holdout",
    "holdout_signups",
    "rate_invited",
    "rate_holdout",
    "uplift",
    "low",
    "high",
    "verdict",
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


async def list_member_rows(community_id: int, *, session: AsyncSession) -> list[tuple]:
    """Every member (present and past) with segment and probability for the next salon."""
    upcoming = await list_upcoming_salons([community_id], session=session)
    next_salon = upcoming[0] if upcoming else None
    score = and_(
        MemberScore.user_id == Membership.user_id,
        MemberScore.salon_id == (next_salon.id if next_salon else -1),
    )
    rows = await session.execute(
        select(
            User.id,
            User.first_name,
            User.username,
            User.language_code,
            Membership.is_member,
            Membership.joined_at,
            Membership.left_at,
            Membership.last_active_at,
            User.dm_status == DM_REACHABLE,
            MemberSegment.segment,
            MemberScore.probability,
        )
        .join(User, User.id == Membership.user_id)
        .outerjoin(
            MemberSegment,
            and_(
                MemberSegment.community_id == community_id,
                MemberSegment.user_id == Membership.user_id,
            ),
        )
        .outerjoin(MemberScore, score)
        .where(Membership.community_id == community_id, User.is_bot.is_(False))
        .order_by(User.id)
    )
    code = next_salon.short_code if next_salon else None
    return [
        (
            u,
            first,
            username,
            lang,
            int(member),
            _iso(joined),
            _iso(left),
            _iso(active),
            int(bool(reachable)),
            segment,
            code if p is not None else None,
            p,
        )
        for u, first, username, lang, member, joined, left, active, reachable, segment, p in rows
    ]


async def _salons(community_id: int, session: AsyncSession) -> list[Salon]:
    rows = await session.scalars(
        select(Salon)
        .where(Salon.community_id == community_id, Salon.status != SALON_DRAFT)
        .order_by(Salon.starts_at, Salon.id)
    )
    return list(rows)


async def list_salon_rows(community_id: int, *, session: AsyncSession) -> list[tuple]:
    """Every salon (drafts aside) with its funnel and money (amounts in the smallest unit)."""
    salons = await _salons(community_id, session)
    funnels = await list_salon_funnels(salons, session=session)
    money = await _salon_money(community_id, session)
    return [
        (
            f.salon_id,
            f.event_id,
            f.code,
            f.title,
            _iso(f.starts_at),
            s.status,
            f.capacity,
            f.invited,
            f.holdout,
            f.joined,
            f.joined_by_invitation,
            f.joined_by_self,
            f.waitlisted,
            f.attended,
            f.no_show,
            f.attendance_rate,
            f.rated,
            f.rating_avg,
            f.predicted_turnout,
            f.invited_signups,
            s.price_amount or None,
            s.currency or None,
            *money.get(s.id, (0, 0, 0, 0)),
        )
        for s, f in zip(salons, funnels, strict=True)
    ]


async def _salon_money(community_id: int, session: AsyncSession) -> dict[int, tuple]:
    """Salon id -> (payments, gross, refunds, net) over all time."""
    refunded = Payment.status.in_(REFUNDING)
    rows = await session.execute(
        select(
            Payment.salon_id,
            func.count(),
            func.sum(Payment.amount),
            func.coalesce(func.sum(Payment.amount).filter(refunded), 0),
        )
        .where(Payment.community_id == community_id, Payment.salon_id.is_not(None))
        .group_by(Payment.salon_id)
    )
    return {sid: (n, int(g), int(r), int(g) - int(r)) for sid, n, g, r in rows}


async def list_payment_rows(community_id: int, *, session: AsyncSession) -> list[tuple]:
    """Every payment for the community's salons and what became of it (refunds included)."""
    rows = await session.execute(
        select(
            Payment.id,
            Payment.salon_id,
            Salon.short_code,
            Payment.user_id,
            Payment.currency,
            Payment.amount,
            Payment.status,
            Payment.paid_at,
            Payment.refund_reason,
            Payment.refund_requested_at,
            Payment.refunded_at,
            Payment.refund_attempts,
            Payment.refund_error,
            Payment.telegram_payment_charge_id,
            Payment.provider_payment_charge_id,
        )  # fmt: skip
        .outerjoin(Salon, Salon.id == Payment.salon_id)
        .where(Payment.community_id == community_id)
        .order_by(Payment.id)
    )
    return [
        (pid, sid, code, uid, cur, amount, status, _iso(paid), reason, _iso(requested),
         _iso(refunded), attempts, error, telegram, provider)
        for (pid, sid, code, uid, cur, amount, status, paid, reason, requested, refunded,
             attempts, error, telegram, provider) in rows
    ]  # fmt: skip


async def list_signup_rows(community_id: int, *, session: AsyncSession) -> list[tuple]:
    """Every signup to the community's salons, with its status."""
    rows = await session.execute(
        select(
            Signup.salon_id,
            Salon.short_code,
            Signup.user_id,
            Signup.status,
            Signup.source,
            Signup.created_at,
            Signup.responded_at,
            Signup.attended,
            Signup.rating,
            Signup.comment,
        )
        .join(Salon, Salon.id == Signup.salon_id)
        .where(Salon.community_id == community_id)
        .order_by(Signup.salon_id, Signup.id)
    )
    return [
        (
            salon_id,
            code,
            user_id,
            status,
            source,
            _iso(created),
            _iso(responded),
            None if attended is None else int(attended),
            rating,
            comment,
        )
        for (
            salon_id,
            code,
            user_id,
            status,
            source,
            created,
            responded,
            attended,
            rating,
            comment,
        ) in rows
    ]


async def list_campaign_rows(community_id: int, *, session: AsyncSession) -> list[tuple]:
    """Every campaign with its groups and their signups (the uplift is computed by the bot)."""
    campaigns = {
        c.salon_id: c
        for c in await session.scalars(
            select(Campaign).where(Campaign.community_id == community_id).order_by(Campaign.id)
        )
    }
    salons = [s for s in await _salons(community_id, session) if s.id in campaigns]
    funnels = await list_salon_funnels(salons, session=session)
    rows = []
    for groups in await list_campaign_groups(funnels, session=session):
        c = campaigns[groups.salon_id]
        rows.append(
            (
                c.id,
                c.salon_id,
                groups.title,
                c.status,
                c.waves,
                _iso(c.created_at),
                _iso(c.finished_at),
                c.finish_reason,
                groups.invited,
                groups.invited_signups,
                groups.holdout,
                groups.holdout_signups,
            )
        )
    return sorted(rows)
