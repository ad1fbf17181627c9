"""Community-wide daily activity: what /stats reads instead of summing every member's rollup."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Date, ForeignKey, Integer, Table

from storage.models.activity import HOURS
from storage.models.base import Base

# Kept in step with `activity_daily` by storage.rollups.add_rollups (same transaction).
activity_community_daily = Table(
    "activity_community_daily",
    Base.metadata,
    Column(
        "community_id",
        BigInteger,
        ForeignKey("communities.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("day", Date, primary_key=True),  # the UTC day
    Column("messages", Integer, nullable=False, default=0),
    Column("reactions", Integer, nullable=False, default=0),  # reactions given
    *(Column(name, Integer, nullable=False, default=0) for name in HOURS),
)


class CommunityDay(Base):
    """All members' messages and reactions in one community on one UTC day."""

    __table__ = activity_community_daily
