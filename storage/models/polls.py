"""Feedback polls the dispatcher sent: Telegram's poll id -> the salon and the member asked."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base
from storage.types import BigIntPK, utcnow


class Poll(Base):
    """A sent feedback poll; `poll_answer` updates carry only `poll_id`, so it is mapped here."""

    __tablename__ = "polls"
    __table_args__ = (Index("ix_polls_user_prompt", "user_id", "prompt_message_id"),)

    poll_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    salon_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("salons.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    message_id: Mapped[int | None]
    # The "reply with a comment" prompt sent after the vote; a reply to it is the comment.
    prompt_message_id: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
