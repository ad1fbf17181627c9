"""Invitation campaigns and their invitations (including the withheld holdout members)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import BigIntPK, utcnow

CAMPAIGN_ACTIVE, CAMPAIGN_FINISHED, CAMPAIGN_CANCELLED = "active", "finished", "cancelled"
# An invitation follows its outbox row: pending -> sent | undeliverable (failed) | unknown (in
# flight at a crash) | cancelled. Holdout members are recorded as `withheld`, never sent.
INV_PENDING, INV_SENT, INV_UNDELIVERABLE, INV_UNKNOWN, INV_CANCELLED, INV_WITHHELD = (
    "pending", "sent", "undeliverable", "unknown", "cancelled", "withheld",
)  # fmt: skip
# What the member answered with the invitation's buttons.
JOINED, DECLINED_INVITE, STOPPED = "joined", "declined", "stopped"


class Campaign(Base):
    """One invitation campaign per salon: its audience filters, holdout seed and waves."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    salon_id: Mapped[int] = mapped_column(ForeignKey("salons.id", ondelete="CASCADE"), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=CAMPAIGN_ACTIVE)
    auto: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_by: Mapped[int | None]
    # Audience filters: minimum probability, at most this many invitations (None: no limit),
    # these segments only (None: all).
    min_probability: Mapped[float] = mapped_column(Float, default=0.0)
    max_invitations: Mapped[int | None] = mapped_column(Integer)
    segments: Mapped[list | None] = mapped_column(JSON)
    holdout_share: Mapped[float] = mapped_column(Float)
    seed: Mapped[int] = mapped_column(Integer)
    overbook: Mapped[float] = mapped_column(Float, default=1.0)
    wave_hours: Mapped[float] = mapped_column(Float)
    spread_hours: Mapped[float] = mapped_column(Float)
    window_ends_at: Mapped[datetime]
    waves: Mapped[int] = mapped_column(Integer, default=0)
    last_wave_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    finish_reason: Mapped[str | None] = mapped_column(String(32))
    # The latest uplift estimate (see bot.campaigns.uplift.measure_campaign).
    uplift: Mapped[dict | None] = mapped_column(JSON)


class Invitation(Base):
    """A member chosen by a campaign: invited (an outbox message) or withheld (holdout)."""

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("salon_id", "user_id"),
        # Covers /stats: group sizes and Σ p per salon, the group of each signup.
        Index("ix_invitations_salon_user_holdout", "salon_id", "user_id", "holdout", "probability"),
        Index("ix_invitations_user_created", "user_id", "created_at"),
        Index("ix_invitations_campaign", "campaign_id"),
        Index("ix_invitations_outbox", "outbox_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    salon_id: Mapped[int] = mapped_column(ForeignKey("salons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    wave: Mapped[int] = mapped_column(Integer)
    holdout: Mapped[bool] = mapped_column(default=False, server_default=false())
    probability: Mapped[float] = mapped_column(Float)
    segment: Mapped[str] = mapped_column(String(32), default="unknown")
    reason: Mapped[str | None] = mapped_column(String(32))  # which "why you" line was used
    status: Mapped[str] = mapped_column(String(16))
    outbox_id: Mapped[int | None]
    send_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    response: Mapped[str | None] = mapped_column(String(16))
    responded_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
