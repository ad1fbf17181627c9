"""Incentives: points members earned, who brought whom, leaderboard opt-ins; salon materials."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import BigIntPK, utcnow

# What earns points (amounts per community: config [communities.points]).
ATTENDED, FEEDBACK, SERIES, REFERRAL = "attended", "feedback", "series", "referral"


class PointEntry(Base):
    """Points one member earned once for one thing (`source_key` says what, and dedupes).

    Written by the points tick from signups, ratings and referrals; never a model input.
    """

    __tablename__ = "member_points"
    __table_args__ = (
        Index("ix_member_points_community_earned", "community_id", "earned_at"),
        Index("ix_member_points_user", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    # "a:<signup id>", "f:<signup id>", "r:<referred user id>", "s:<community>:<series tag>"
    source_key: Mapped[str] = mapped_column(String(96), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    salon_id: Mapped[int | None] = mapped_column(ForeignKey("salons.id", ondelete="SET NULL"))
    earned_at: Mapped[datetime] = mapped_column(default=utcnow)


class Referral(Base):
    """A newcomer who started the bot through a member's /invitefriend link (one referrer)."""

    __tablename__ = "referrals"
    __table_args__ = (Index("ix_referrals_referrer", "referrer_user_id"),)

    referred_user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    referrer_user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the newcomer first attended and the referrer was credited.
    rewarded_at: Mapped[datetime | None]


class LeaderboardOptIn(Base):
    """A member who agreed to appear on their community's monthly leaderboard."""

    __tablename__ = "leaderboard_optins"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SalonMaterials(Base):
    """The slides, recording or notes link an organizer attached to a salon (`/materials`)."""

    __tablename__ = "salon_materials"

    salon_id: Mapped[int] = mapped_column(
        ForeignKey("salons.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    url: Mapped[str] = mapped_column(String(500))
    added_by: Mapped[int | None] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)
