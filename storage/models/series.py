"""Recurring salons: a series makes one salon per occurrence, ahead on a rolling window."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import BigIntPK, utcnow

SERIES_ACTIVE, SERIES_STOPPED = "active", "stopped"


class SalonSeries(Base):
    """The template and rule of a recurring salon (bot/salons/series_rules.py)."""

    __tablename__ = "salon_series"

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    # "w:<weekday 0-6>" every week, "m:<n 1-4 or -1>:<weekday>" the n-th weekday of a month.
    rule: Mapped[str] = mapped_column(String(16))
    local_time: Mapped[str] = mapped_column(String(5))  # HH:MM in the community's timezone
    title: Mapped[str] = mapped_column(String(100))
    location: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), default=SERIES_ACTIVE)
    created_by: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
