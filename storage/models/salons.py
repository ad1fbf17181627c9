"""Salons (offline events) and members' signups to them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import BigIntPK, utcnow

SALON_DRAFT, SALON_PUBLISHED, SALON_CANCELLED = "draft", "published", "cancelled"
# Signup statuses. `going` holds a seat; `offered` is a waitlisted member offered a freed seat
# (holds it until the claim window ends); `held` is a seat of a paid salon held while the member
# pays (until `offer_expires_at`); `declined` is an explicit "no".
GOING, WAITLIST, OFFERED, LEFT, DECLINED = "going", "waitlist", "offered", "left", "declined"
HELD = "held"
HOLDS_SEAT = (GOING, OFFERED, HELD)
# Signed up: holding a seat, offered one, or waiting in line.
SIGNED_UP = (GOING, OFFERED, HELD, WAITLIST)
# Ever signed up, leaving included: what the uplift of a campaign counts as a signup.
RESPONDED = (*SIGNED_UP, LEFT)


class Salon(Base):
    """An offline salon of a community; `going_count` makes seat-taking one atomic UPDATE."""

    __tablename__ = "salons"
    __table_args__ = (
        UniqueConstraint("community_id", "source_id"),
        Index("ix_salons_community_starts", "community_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    # The id an import source gave the salon (events.csv event_id); None for salons made here.
    source_id: Mapped[str | None] = mapped_column(String(64))
    short_code: Mapped[str] = mapped_column(String(16), unique=True)
    checkin_code: Mapped[str | None] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[str] = mapped_column(String(400), default="")  # ';'-separated
    location: Mapped[str] = mapped_column(String(200), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime | None]
    signup_deadline: Mapped[datetime | None]
    capacity: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    going_count: Mapped[int] = mapped_column(Integer, default=0)
    price_amount: Mapped[int] = mapped_column(Integer, default=0)  # smallest unit; 0 = free
    currency: Mapped[str] = mapped_column(String(8), default="")
    status: Mapped[str] = mapped_column(String(16), default=SALON_PUBLISHED)
    # A public event: people outside the community may see it and sign up too.
    guests_welcome: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_by: Mapped[int | None]
    announcement_message_id: Mapped[int | None]
    # Raised by every change members must hear about (time, place, cancellation): the .ics
    # SEQUENCE, so calendars update the entry instead of adding one.
    sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The recurring series this salon is an occurrence of (storage/models/series.py). No
    # foreign key: adding one would make SQLite rebuild this table (series are never deleted).
    series_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Signup(Base):
    """One member's response to one salon; the id orders the waitlist (first come)."""

    __tablename__ = "signups"
    __table_args__ = (
        UniqueConstraint("salon_id", "user_id"),
        # Covers /stats' funnel (an index-only scan per salon).
        Index("ix_signups_salon_funnel", "salon_id", "status", "source", "attended", "rating"),
        Index("ix_signups_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    salon_id: Mapped[int] = mapped_column(ForeignKey("salons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16), default="self")  # self|invitation|import
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    responded_at: Mapped[datetime] = mapped_column(default=utcnow)
    waitlisted_at: Mapped[datetime | None]
    offer_expires_at: Mapped[datetime | None]  # end of an offer's claim window or of a hold
    # Seats of a paid salon held for this member so far (carried over when they rejoin).
    holds_taken: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    attended: Mapped[bool | None]
    checked_in_at: Mapped[datetime | None]
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
