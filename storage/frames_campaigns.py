"""Campaign data as DataFrames: eligible candidates of a salon, and the INVITATIONS frame."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.frames import in_communities, raw, rows_of, table_of, utc_column
from storage.models import (
    DM_REACHABLE,
    Invitation,
    MemberScore,
    MemberSegment,
    Membership,
    Salon,
    Signup,
    User,
)
from storage.models.campaigns import INV_PENDING, INV_SENT, INV_UNKNOWN
from storage.types import utcnow

CANDIDATE_COLUMNS = ["user_id", "probability", "segment"]
INVITATION_COLUMNS = ["event_id", "user_id", "sent_at", "holdout"]
# Invitations that count towards the frequency cap: queued, delivered, or possibly delivered.
COUNTED = (INV_PENDING, INV_SENT, INV_UNKNOWN)


async def candidates_frame(
    salon: Salon,
    *,
    session: AsyncSession,
    frequency_cap: int,
    frequency_days: float,
    now: datetime | None = None,
) -> pd.DataFrame:
    """The salon's eligible members with their stored probability and segment.

    Eligible: a current member of the salon's community with a score for this salon, whom
    the bot can reach by DM, not opted out of invitations, without any response to this
    salon (signed up, declined, left), never chosen for it before (invited or withheld), and
    invited fewer than `frequency_cap` times in the last `frequency_days` days.
    """
    now = now or utcnow()
    since = now - timedelta(days=frequency_days)
    responded = select(Signup.id).where(Signup.salon_id == salon.id, Signup.user_id == User.id)
    chosen = select(Invitation.id).where(
        Invitation.salon_id == salon.id, Invitation.user_id == User.id
    )
    recent = (
        select(func.count(Invitation.id))
        .where(
            Invitation.user_id == User.id,
            Invitation.holdout.is_(False),
            Invitation.status.in_(COUNTED),
            func.coalesce(Invitation.send_at, Invitation.created_at) > since,
        )
        .scalar_subquery()
    )
    query = (
        select(User.id, MemberScore.probability, func.coalesce(MemberSegment.segment, "unknown"))
        .join(MemberScore, MemberScore.user_id == User.id)
        .join(
            Membership,
            and_(Membership.user_id == User.id, Membership.community_id == salon.community_id),
        )
        .outerjoin(
            MemberSegment,
            and_(
                MemberSegment.user_id == User.id,
                MemberSegment.community_id == salon.community_id,
            ),
        )
        .where(
            MemberScore.salon_id == salon.id,
            Membership.is_member.is_(True),
            User.is_bot.is_(False),
            User.dm_status == DM_REACHABLE,
            User.invites_opt_out.is_(False),
            ~responded.exists(),
            ~chosen.exists(),
            recent < frequency_cap,
        )
    )
    rows = (await session.execute(query)).all()
    frame = pd.DataFrame(rows, columns=CANDIDATE_COLUMNS)
    frame["user_id"] = frame["user_id"].astype("int64")
    frame["probability"] = frame["probability"].astype("float64")
    frame["segment"] = frame["segment"].astype(object)
    return frame


async def count_scores(salon_id: int, *, session: AsyncSession) -> int:
    """How many members have a stored score for the salon."""
    query = select(func.count()).select_from(MemberScore).where(MemberScore.salon_id == salon_id)
    return int(await session.scalar(query) or 0)


async def invitations_frame(
    community_id: int | Sequence[int] | None,
    *,
    session: AsyncSession,
    user_ids: Sequence[int] | None = None,
) -> pd.DataFrame:
    """The recommender's INVITATIONS frame: delivered invitations and withheld members.

    `sent_at` is the delivery time, or for holdout members the time their wave was planned
    (when they would have been invited). With `user_ids`, only those members' invitations.
    """
    query = (
        select(Invitation.salon_id, Invitation.user_id, raw(Invitation.sent_at),
               raw(Invitation.created_at), raw(Invitation.holdout))
        .join(Salon, Salon.id == Invitation.salon_id)
        .where(
            in_communities(Salon.community_id, community_id),
            (Invitation.holdout.is_(True)) | (Invitation.status == INV_SENT),
        )
        .order_by(Invitation.id)
    )  # fmt: skip
    t = table_of(await rows_of(query, Invitation.user_id, user_ids, session=session), 5)
    holdout = t[:, 4].astype(bool)
    sent = utc_column(t[:, 2]).where(~holdout, utc_column(t[:, 3]))
    return pd.DataFrame({
        "event_id": t[:, 0].astype(np.int64),
        "user_id": t[:, 1].astype(np.int64),
        "sent_at": sent.array,
        "holdout": holdout,
    })[INVITATION_COLUMNS]  # fmt: skip
