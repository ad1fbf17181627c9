"""Helpers for member-side tests: salons and users straight in the database, job contexts."""

from __future__ import annotations

from datetime import timedelta

from bot.common.context import Context
from storage.models import Salon
from storage.salons import NewSalon, add_salon
from storage.types import utcnow
from storage.users import UserInfo, upsert_user
from tests.updates import COMMUNITY_ID


async def make_salon(
    db, *, capacity: int | None = 20, starts_in: timedelta = timedelta(days=3), **fields
) -> Salon:
    """A published salon of the test community, created directly in the database."""
    fields.setdefault("title", "Reading night 读书夜")
    fields.setdefault("location", "Café Lumen, 2F")
    async with db.begin() as session:
        new = NewSalon(COMMUNITY_ID, starts_at=utcnow() + starts_in, capacity=capacity, **fields)
        return await add_salon(new, session=session)


async def make_users(db, users: list[dict]) -> None:
    """Store Telegram users (as /start would)."""
    async with db.begin() as session:
        for user in users:
            info = UserInfo(user["id"], user["first_name"], language_code=user.get("language_code"))
            await upsert_user(info, session=session)


def member(user_id: int, language: str = "en") -> dict:
    """A Telegram user JSON object."""
    return {"id": user_id, "is_bot": False, "first_name": f"M{user_id}", "language_code": language}


def job_context(app) -> Context:
    """The context a job callback receives."""
    return Context(app)
