"""Per-salon outcomes for the salon-level model (recommender/plans.py): counted by the database."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.frames import in_communities
from storage.frames_salons import RESPONSES
from storage.models import Salon, Signup
from storage.models.salons import SALON_CANCELLED, SALON_DRAFT

OUTCOME_COLUMNS = ["event_id", "signups", "going", "attended", "checked"]
_POSITIVE = [s for s, r in RESPONSES.items() if r in ("yes", "waitlist")]
_GOING = [s for s, r in RESPONSES.items() if r == "yes"]


async def salon_outcomes_frame(
    community_id: int | Sequence[int] | None, *, session: AsyncSession
) -> pd.DataFrame:
    """Per salon (not drafts or cancelled): signups (yes or waitlist), going (yes), attended,
    and checked (going members whose attendance was recorded); salons without any are absent."""
    query = (
        select(
            Signup.salon_id,
            func.sum(case((Signup.status.in_(_POSITIVE), 1), else_=0)),
            func.sum(case((Signup.status.in_(_GOING), 1), else_=0)),
            func.sum(case((Signup.attended.is_(True), 1), else_=0)),
            func.sum(case((Signup.status.in_(_GOING) & Signup.attended.is_not(None), 1),
                          else_=0)),
        )
        .join(Salon, Salon.id == Signup.salon_id)
        .where(
            in_communities(Salon.community_id, community_id),
            Salon.status.not_in([SALON_DRAFT, SALON_CANCELLED]),
        )
        .group_by(Signup.salon_id)
    )  # fmt: skip
    rows = (await session.execute(query)).all()
    frame = pd.DataFrame(rows, columns=OUTCOME_COLUMNS)
    return frame.astype({"event_id": "int64", **dict.fromkeys(OUTCOME_COLUMNS[1:], "float64")})
