"""Model runs (training, backtests) and what they produced: segments and scores."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import BigIntPK, utcnow

RUN_RUNNING, RUN_OK, RUN_FAILED = "running", "ok", "failed"


class ModelRun(Base):
    """One nightly (or manual) rebuild of features, segments, model and scores."""

    __tablename__ = "model_runs"
    __table_args__ = (Index("ix_model_runs_community_started", "community_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=RUN_RUNNING)
    kind: Mapped[str | None] = mapped_column(String(16))  # model | prior
    reason: Mapped[str | None] = mapped_column(Text)  # why the prior was used, or the error
    rows: Mapped[int | None]
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    metrics: Mapped[dict] = mapped_column(JSON, default=dict)
    model_path: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[str | None] = mapped_column(String(64))


class MemberSegment(Base):
    """A member's segment from the latest successful run of their community."""

    __tablename__ = "member_segments"
    __table_args__ = (Index("ix_member_segments_community_segment", "community_id", "segment"),)

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    segment: Mapped[str] = mapped_column(String(32))
    run_id: Mapped[int] = mapped_column(ForeignKey("model_runs.id", ondelete="CASCADE"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class MemberScore(Base):
    """A member's predicted probability of signing up for an upcoming salon."""

    __tablename__ = "member_scores"

    salon_id: Mapped[int] = mapped_column(
        ForeignKey("salons.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    probability: Mapped[float] = mapped_column(Float)
    run_id: Mapped[int] = mapped_column(ForeignKey("model_runs.id", ondelete="CASCADE"))
    scored_at: Mapped[datetime] = mapped_column(default=utcnow)
