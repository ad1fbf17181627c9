"""Behaviour data: raw group messages, reactions and membership events, and daily rollups.

Raw rows are kept for `[privacy] raw_event_days` (text only for `retention_days`); the
per-member daily rollups (`activity_daily`) are what models and /stats read, and stay.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import BigIntPK

# The rollup counters, in the order the recommender's ROLLUPS frame has them.
COUNTERS = (
    "messages",
    "chars",
    "replies_sent",
    "replies_received",
    "reactions_given",
    "reactions_received",
)
HOURS = tuple(f"h{hour:02d}" for hour in range(24))  # message counts by UTC hour of day

JOIN, LEAVE = "join", "leave"


class GroupMessage(Base):
    """One message a member sent in a community chat (live, or imported).

    Live and Telegram-export rows are identified by the chat's `message_id`; CSV rows, which
    have none, by `row_hash`, a hash of the sender, the time and the row's content.
    """

    __tablename__ = "group_messages"
    __table_args__ = (
        UniqueConstraint("community_id", "message_id"),
        UniqueConstraint("community_id", "row_hash"),
        Index("ix_group_messages_sent_at", "sent_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    message_id: Mapped[int | None]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sent_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(16))  # text, photo, voice, sticker, poll, ...
    length: Mapped[int] = mapped_column(Integer, default=0)
    reply_to_user_id: Mapped[int | None]
    thread_id: Mapped[int | None]  # forum topic (message_thread_id)
    forwarded: Mapped[bool] = mapped_column(default=False, server_default=false())
    text: Mapped[str | None] = mapped_column(Text)  # only with [privacy] store_text
    edited_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(8), default="bot")  # bot | export | csv
    row_hash: Mapped[str | None] = mapped_column(String(32))


class Reaction(Base):
    """A member added or removed a reaction (emoji, `custom:<id>` or `paid`)."""

    __tablename__ = "reaction_events"
    __table_args__ = (
        UniqueConstraint("community_id", "row_hash"),
        Index("ix_reaction_events_reacted_at", "reacted_at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    message_id: Mapped[int | None]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    target_user_id: Mapped[int | None]  # the author of the message, when known
    emoji: Mapped[str] = mapped_column(String(64))
    added: Mapped[bool]
    reacted_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(8), default="bot")
    # The event's identity: a hash of who, when, which message, which emoji, added or removed.
    row_hash: Mapped[str] = mapped_column(String(32))


class ReactionCount(Base):
    """Anonymous reaction totals of a message (`message_reaction_count`, exports)."""

    __tablename__ = "reaction_counts"

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    message_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    total: Mapped[int] = mapped_column(Integer)
    counts: Mapped[dict] = mapped_column(JSON)  # emoji -> count
    updated_at: Mapped[datetime]


class MemberChange(Base):
    """A member joined or left a community chat."""

    __tablename__ = "member_events"
    __table_args__ = (
        UniqueConstraint("community_id", "user_id", "kind", "at"),
        Index("ix_member_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))  # join | leave
    at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(8), default="bot")


activity_daily = Table(
    "activity_daily",
    Base.metadata,
    Column(
        "community_id",
        BigInteger,
        ForeignKey("communities.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Date, primary_key=True),  # the UTC day
    *(Column(name, Integer, nullable=False, default=0) for name in COUNTERS + HOURS),
)


class ActivityDay(Base):
    """One member's activity in one community on one UTC day, updated at ingest."""

    __table__ = activity_daily
