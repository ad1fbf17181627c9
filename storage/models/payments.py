"""Payments for paid salons: one row per `successful_payment`, kept for accounting.

A row is written once per Telegram charge (`telegram_payment_charge_id` is unique, so a
repeated update records nothing new) and then only changes status:

    paid ──▶ refund_due ──▶ refunded          (Telegram Stars: the refunds tick calls
                                               refundStarPayment, retrying until it succeeds)
    paid ──▶ manual_refund                     (provider payments: the organizer refunds them
                                               in the provider's dashboard; listed to them)

`user_id` is an accounting column (storage/privacy.py): a member who deletes their data
leaves their payments behind without their id, except while a refund to them is still due
(`user_erased` then says to drop the id as soon as the refund went through).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import BigIntPK, utcnow

PAID, REFUND_DUE, REFUNDED, MANUAL_REFUND = "paid", "refund_due", "refunded", "manual_refund"
REFUNDING = (REFUND_DUE, REFUNDED, MANUAL_REFUND)  # counted as refunds in the revenue
# Why a payment is refunded.
R_CANCELLED, R_LEFT, R_SEAT_GONE, R_STARTED, R_ALREADY_PAID, R_INVALID = (
    "cancelled", "left", "seat_gone", "started", "already_paid", "invalid",
)  # fmt: skip
STARS = "XTR"


class Payment(Base):
    """One payment for a seat in a salon, and what became of it."""

    __tablename__ = "payments"
    __table_args__ = (
        Index("ix_payments_salon_user", "salon_id", "user_id"),
        Index("ix_payments_status_next", "status", "refund_next_at"),
        Index("ix_payments_community_paid", "community_id", "paid_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int | None]
    salon_id: Mapped[int | None] = mapped_column(ForeignKey("salons.id", ondelete="SET NULL"))
    user_id: Mapped[int | None]  # no foreign key: the row outlives the member's data
    user_erased: Mapped[bool] = mapped_column(default=False, server_default=false())
    currency: Mapped[str] = mapped_column(String(8))
    amount: Mapped[int]  # in the currency's smallest unit (Stars: whole stars)
    telegram_payment_charge_id: Mapped[str] = mapped_column(String(255), unique=True)
    provider_payment_charge_id: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default=PAID)
    paid_at: Mapped[datetime] = mapped_column(default=utcnow)
    refund_reason: Mapped[str | None] = mapped_column(String(16))
    refund_requested_at: Mapped[datetime | None]
    refund_attempts: Mapped[int] = mapped_column(Integer, default=0)
    refund_next_at: Mapped[datetime | None]
    refund_error: Mapped[str | None] = mapped_column(String(500))
    refund_reported: Mapped[bool] = mapped_column(default=False, server_default=false())
    refunded_at: Mapped[datetime | None]
