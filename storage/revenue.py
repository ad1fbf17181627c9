"""Revenue of paid salons for /stats, `salonbot stats --json` and /export.

Over a period: *gross* is what was paid in it (by `paid_at`), *refunds* what was refunded or
promised back in it (by `refund_requested_at`, whether the bot refunds it or the organizer
does by hand), *net* the difference. Amounts are in each currency's smallest unit (Stars:
whole stars) and never mixed across currencies.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Payment, Salon
from storage.models.payments import REFUND_DUE, REFUNDING


@dataclass
class Money:
    """One currency's figures (or one salon's, with its id, code and title)."""

    currency: str
    gross: int = 0
    refunds: int = 0
    refunds_pending: int = 0  # promised by the bot, not through yet (still retried)
    payments: int = 0
    salon_id: int | None = None
    code: str | None = None
    title: str | None = None

    @property
    def net(self) -> int:
        """Gross minus refunds."""
        return self.gross - self.refunds

    def to_json(self) -> dict:
        """Plain values for JSON (salon keys only for a salon's figures)."""
        data = {k: v for k, v in asdict(self).items() if v is not None}
        data["net"] = self.net
        return data


@dataclass
class Revenue:
    """Paid salons' money over the period: the main currency's totals, then every detail."""

    gross: int = 0
    refunds: int = 0
    net: int = 0
    currency: str | None = None  # the currency with the most gross (others in `currencies`)
    note: str = "no paid salons"
    refunds_pending: int = 0
    currencies: list[Money] = field(default_factory=list)
    salons: list[Money] = field(default_factory=list)

    def to_json(self) -> dict:
        """Plain values for JSON."""
        data = {k: v for k, v in vars(self).items() if k not in ("currencies", "salons")}
        data["currencies"] = [m.to_json() for m in self.currencies]
        data["salons"] = [m.to_json() for m in self.salons]
        return data


def _sums(since: datetime):
    paid = Payment.paid_at >= since
    refunded = Payment.status.in_(REFUNDING) & (Payment.refund_requested_at >= since)
    pending = refunded & (Payment.status == REFUND_DUE)
    return (
        func.coalesce(func.sum(Payment.amount).filter(paid), 0),
        func.coalesce(func.sum(Payment.amount).filter(refunded), 0),
        func.coalesce(func.sum(Payment.amount).filter(pending), 0),
        func.count().filter(paid),
        (paid | (Payment.refund_requested_at >= since)),
    )


async def get_revenue(community_id: int, since: datetime, *, session: AsyncSession) -> Revenue:
    """The community's revenue from `since` on, per currency and per salon."""
    gross, refunds, pending, count, touched = _sums(since)
    rows = await session.execute(
        select(Payment.currency, gross, refunds, pending, count)
        .where(Payment.community_id == community_id, touched)
        .group_by(Payment.currency)
        .order_by(Payment.currency)
    )
    currencies = [Money(c, int(g), int(r), int(p), int(n)) for c, g, r, p, n in rows]
    by_salon = await session.execute(
        select(
            Salon.id,
            Salon.short_code,
            Salon.title,
            Payment.currency,
            gross,
            refunds,
            pending,
            count,
        )  # fmt: skip
        .join(Salon, Salon.id == Payment.salon_id)
        .where(Payment.community_id == community_id, touched)
        .group_by(Salon.id, Salon.short_code, Salon.title, Salon.starts_at, Payment.currency)
        .order_by(Salon.starts_at, Salon.id, Payment.currency)
    )
    salons = [
        Money(cur, int(g), int(r), int(p), int(n), salon_id=sid, code=code, title=title)
        for sid, code, title, cur, g, r, p, n in by_salon
    ]
    revenue = Revenue(currencies=currencies, salons=salons)
    if currencies:
        main = max(currencies, key=lambda m: (m.gross, m.payments))
        revenue.gross, revenue.refunds, revenue.net = main.gross, main.refunds, main.net
        revenue.currency, revenue.refunds_pending, revenue.note = (
            main.currency, main.refunds_pending, "")  # fmt: skip
    return revenue
