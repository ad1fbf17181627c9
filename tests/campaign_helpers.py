"""Helpers for campaign tests: members with scores and segments straight in the database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from storage.models import Invitation, Salon
from storage.runs import add_run, replace_scores, replace_segments
from storage.types import utcnow
from storage.users import UserInfo, mark_started, upsert_membership, upsert_user
from tests.updates import COMMUNITY_ID


@dataclass(frozen=True)
class Member:
    """A community member with a predicted probability for the salon under test."""

    user_id: int
    probability: float = 0.3
    segment: str = "core"
    language: str = "en"
    reachable: bool = True
    name: str = ""


async def seed_members(db, salon: Salon, members: list[Member]) -> None:
    """Users, memberships, DM reachability, one model run with scores and segments."""
    async with db.begin() as session:
        for m in members:
            name = m.name or f"M{m.user_id}"
            await upsert_user(UserInfo(m.user_id, name, language_code=m.language),
                              session=session)  # fmt: skip
            await upsert_membership(COMMUNITY_ID, m.user_id, session=session)
            if m.reachable:
                await mark_started(m.user_id, session=session, at=utcnow())
        run = await add_run(COMMUNITY_ID, {}, session=session)
        await replace_scores(salon.id, run.id, [(m.user_id, m.probability) for m in members],
                             session=session)  # fmt: skip
        await replace_segments(COMMUNITY_ID, run.id, {m.user_id: m.segment for m in members},
                               session=session)  # fmt: skip


async def invitations_of(db, salon_id: int) -> list[Invitation]:
    """The salon's invitation rows, in id order."""
    async with db.begin() as session:
        query = select(Invitation).where(Invitation.salon_id == salon_id).order_by(Invitation.id)
        return list(await session.scalars(query))
