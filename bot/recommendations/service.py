"""A member's upcoming salons, ranked for them (`/events`, `salonbot recommend`, the API).

Reads the member's past signups, what new members joined first and the salons' signups in
the caller's transaction, and ranks with recommender.personal (no model run, no Telegram).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.recommendations.texts import reason_line
from recommender.personal import member_rate, rank_salons, tag_profile
from storage.models import Community, Salon
from storage.recommendations import (
    count_salon_signups,
    get_base_rate,
    get_member_history,
    list_newcomer_tags,
    list_signed_up,
)
from storage.salons import list_upcoming_salons
from storage.types import utcnow
from storage.users import get_user, list_user_communities


@dataclass(frozen=True)
class Recommendation:
    """One upcoming salon for a member: probability of signing up, the reason, and whether
    they already did."""

    salon: Salon
    probability: float
    kind: str  # tags | newcomers | popular | fallback (recommender.personal.rank_salons)
    detail: str
    signed_up: bool

    @property
    def event_id(self) -> str:
        """The salon's imported id, or its internal id."""
        return self.salon.source_id or str(self.salon.id)


async def recommend(
    user_id: int,
    community_ids: Sequence[int],
    *,
    session: AsyncSession,
    now: datetime | None = None,
) -> list[Recommendation]:
    """The member's upcoming salons of these communities, the most fitting first."""
    now = now or utcnow()
    salons = await list_upcoming_salons(list(community_ids), session=session, now=now)
    if not salons:
        return []
    ids = [s.id for s in salons]
    history = await get_member_history(user_id, community_ids, session=session, now=now)
    newcomers = []
    if not history.joined:  # a new member: compare with what newcomers joined first
        newcomers = await list_newcomer_tags(community_ids, session=session, now=now)
    base = await get_base_rate(community_ids, session=session, now=now)
    counts = await count_salon_signups(ids, session=session)
    mine = await list_signed_up(user_id, ids, session=session)
    candidates = pd.DataFrame({"event_id": ids, "tags": [s.tags or "" for s in salons],
                               "starts_at": [s.starts_at for s in salons]})  # fmt: skip
    ranked = rank_salons(
        candidates,
        tag_profile(history.joined_tags),
        tag_profile(newcomers),
        member_rate(history.joined, history.eligible, base),
        pd.Series(counts, dtype=float),
    )
    by_id = {s.id: s for s in salons}
    return [
        Recommendation(
            by_id[int(r.event_id)],
            float(r.probability),
            str(r.kind),
            str(r.detail),
            int(r.event_id) in mine,
        )  # fmt: skip
        for r in ranked.itertuples(index=False)
    ]


class UnknownMember(LookupError):
    """The user, or the community asked for, is not known."""


async def member_communities(
    user_id: int, community_id: int | None, *, session: AsyncSession
) -> list[int]:
    """The communities to recommend from: the one asked for, else the member's own (all of
    them for a user not seen in a group yet)."""
    if await get_user(user_id, session=session) is None:
        raise UnknownMember(f"unknown user {user_id}")
    if community_id is not None:
        if await session.get(Community, community_id) is None:
            raise UnknownMember(f"unknown community {community_id}")
        return [community_id]
    ids = await list_user_communities(user_id, session=session)
    if not ids:  # not seen in a group yet: every community, as /events does
        ids = list(await session.scalars(select(Community.id).order_by(Community.id)))
    return ids


def as_json(recommendations: Sequence[Recommendation]) -> dict:
    """The JSON of `salonbot recommend --json` and the HTTP endpoint (reasons in English)."""
    return {
        "salons": [
            {
                "event_id": r.event_id,
                "title": r.salon.title,
                "starts_at": r.salon.starts_at.astimezone(UTC).isoformat(),
                "probability": round(r.probability, 4),
                "reason": reason_line(r.kind, r.detail, "en"),
                "signed_up": r.signed_up,
            }
            for r in recommendations
        ]
    }
