"""The outbox: every message the bot starts is a row here first (docs/members-and-scheduling.md)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import BigIntPK, utcnow

# pending -> sending -> sent | failed (for good, e.g. Forbidden) | unknown (was in flight at a
# crash: never resent) ; pending -> cancelled (no longer wanted, e.g. salon cancelled).
PENDING, SENDING, SENT, FAILED, UNKNOWN, CANCELLED = (
    "pending", "sending", "sent", "failed", "unknown", "cancelled",
)  # fmt: skip
# Refund notices (the member's "refunded", the organizers' lists and failure reports): about
# money, so cancelling their salon never withdraws them, unlike its other queued messages.
KIND_REFUND = "refund"


class OutboxMessage(Base):
    """A message to send; `dedupe_key` makes enqueueing the same message twice a no-op."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_not_before", "status", "not_before"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))  # invitation, reminder, feedback, notice, ...
    chat_id: Mapped[int]
    user_id: Mapped[int | None]
    salon_id: Mapped[int | None] = mapped_column(ForeignKey("salons.id", ondelete="SET NULL"))
    method: Mapped[str] = mapped_column(String(32), default="sendMessage")
    payload: Mapped[dict] = mapped_column(JSON)  # the Bot API parameters, already localised
    status: Mapped[str] = mapped_column(String(16), default=PENDING)
    priority: Mapped[int] = mapped_column(SmallInteger, default=0)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    message_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
