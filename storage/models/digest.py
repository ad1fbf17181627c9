"""A salon's organizers: what happened to it (their digest and notes), and its co-organizers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import BigIntPK, utcnow

# Collected into the organizers' digest (at the community's cadence).
JOINED, WAITLISTED, LEFT, MOVED_UP, PAID = "joined", "waitlisted", "left", "moved_up", "paid"
# Told at once, each in its own note.
FULL, COMMENT = "full", "comment"
URGENT = (FULL, COMMENT)


class SalonActivity(Base):
    """One thing that happened to a salon; `reported_at` is set once organizers were told."""

    __tablename__ = "salon_activity"
    __table_args__ = (Index("ix_salon_activity_unreported", "reported_at", "community_id"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    salon_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("salons.id", ondelete="CASCADE"))
    community_id: Mapped[int]
    user_id: Mapped[int | None]
    kind: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    reported_at: Mapped[datetime | None]


class SalonOrganizer(Base):
    """A co-organizer: a member a community organizer named to manage this one salon."""

    __tablename__ = "salon_organizers"

    salon_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("salons.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_by: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
