"""Communities, Telegram users and who belongs where."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import utcnow

# Whether the bot can send a private message: unknown until the member starts the bot.
DM_UNKNOWN, DM_REACHABLE, DM_BLOCKED = "unknown", "reachable", "blocked"


class Community(Base):
    """A paid Telegram group the bot serves; the id is the group's chat id."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(128))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    language: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(Base):
    """A Telegram user seen by the bot; the id is the Telegram user id."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(128), default="")
    last_name: Mapped[str | None] = mapped_column(String(128))
    username: Mapped[str | None] = mapped_column(String(64))
    language_code: Mapped[str | None] = mapped_column(String(16))
    is_bot: Mapped[bool] = mapped_column(default=False, server_default=false())
    dm_status: Mapped[str] = mapped_column(String(16), default=DM_UNKNOWN)
    dm_reason: Mapped[str | None] = mapped_column(String(200))
    dm_checked_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    tracking_opt_out: Mapped[bool] = mapped_column(default=False, server_default=false())
    invites_opt_out: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Membership(Base):
    """A user's membership of a community, learned from messages, reactions and joins."""

    __tablename__ = "memberships"
    __table_args__ = (
        Index("ix_memberships_user", "user_id"),
        Index("ix_memberships_community_active", "community_id", "last_active_at"),
        Index("ix_memberships_community_joined", "community_id", "joined_at"),
        Index("ix_memberships_community_left", "community_id", "left_at"),
    )

    community_id: Mapped[int] = mapped_column(
        ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    joined_at: Mapped[datetime | None]
    left_at: Mapped[datetime | None]
    # The member's last message or reaction given (not being replied to, not joining).
    last_active_at: Mapped[datetime | None]
    is_member: Mapped[bool] = mapped_column(default=True)


class ErasedUser(Base):
    """A person who deleted their data: nothing may write a row about them again.

    Only the Telegram id is kept (it is what every writer checks); no name, no time of day
    beyond the date of the erasure. A new /start by the person removes the entry.
    """

    __tablename__ = "erased_users"

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


class MemberRate(Base):
    """Updates a member caused in the current window, shared by every process (PostgreSQL)."""

    __tablename__ = "member_rates"

    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    window_start: Mapped[datetime]
    hits: Mapped[int] = mapped_column(Integer, default=0)


class Dialogue(Base):
    """An organizer's open dialogue (/newsalon, an Edit button): its step and its answers.

    In the database so that each answer may reach any process; `data` is the pickled
    answers (values the bot itself parsed: text, numbers, times).
    """

    __tablename__ = "dialogues"

    chat_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    state: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ChatAdmins(Base):
    """A community chat's administrators as Telegram last said (organizer rights), shared by
    every process: a `chat_member` update seen by one process drops the row for all of them.
    """

    __tablename__ = "chat_admins"

    chat_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    user_ids: Mapped[list] = mapped_column(JSON)
    expires_at: Mapped[datetime]
    # When a change of admins was last seen: a list asked for before then is not stored.
    dropped_at: Mapped[datetime | None]
