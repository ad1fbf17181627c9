"""SQL results as the DataFrames the recommender takes (ids int64, times tz-aware UTC)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import select, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import DM_REACHABLE, GroupMessage, Membership, User
from storage.models.activity import COUNTERS, HOURS, activity_daily

ROLLUP_COLUMNS = ["community_id", "user_id", "day", *COUNTERS, *HOURS]
MEMBER_COLUMNS = ["community_id", "user_id", "joined_at", "reachable", "invite_opt_out"]
TEXT_COLUMNS = ["community_id", "user_id", "sent_at", "text"]


def in_communities(column, community_id: int | Sequence[int] | None):
    """A WHERE condition: one community, several, or (None) every community."""
    if community_id is None:
        return true()
    if isinstance(community_id, int):
        return column == community_id
    return column.in_(list(community_id))


def _opted_out():
    """The ids of members who stopped tracking (a subquery)."""
    return select(User.id).where(User.tracking_opt_out.is_(True))


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True)


async def rollups_frame(
    community_id: int | Sequence[int] | None, *, session: AsyncSession
) -> pd.DataFrame:
    """ROLLUPS: one row per member and UTC day; `day` is UTC midnight, counters int64.

    Members who stopped tracking are left out (their rows stay until they delete them).
    """
    query = (
        select(*(activity_daily.c[name] for name in ROLLUP_COLUMNS))
        .where(
            in_communities(activity_daily.c.community_id, community_id),
            activity_daily.c.user_id.not_in(_opted_out()),
        )
        .order_by(activity_daily.c.user_id, activity_daily.c.day)
    )
    rows = (await session.execute(query)).all()
    frame = pd.DataFrame(rows, columns=ROLLUP_COLUMNS)
    frame["day"] = _utc(pd.to_datetime(frame["day"]))
    counts = [c for c in ROLLUP_COLUMNS if c != "day"]
    return frame.astype(dict.fromkeys(counts, "int64"))


async def members_frame(
    community_id: int | Sequence[int] | None, *, session: AsyncSession
) -> pd.DataFrame:
    """Current human members: when they joined (NaT if unknown), DM-reachable, opted out.

    Members who stopped tracking are left out: the models neither learn from nor score them.
    """
    query = (
        select(
            Membership.community_id,
            Membership.user_id,
            # Only a known join counts: an imported roster's first-seen time is the import
            # time, which would make every member look new to every past salon.
            Membership.joined_at,
            User.dm_status == DM_REACHABLE,
            User.invites_opt_out,
        )
        .join(User, User.id == Membership.user_id)
        .where(
            in_communities(Membership.community_id, community_id),
            Membership.is_member.is_(True),
            User.is_bot.is_(False),
            User.tracking_opt_out.is_(False),
        )
        .order_by(Membership.user_id)
    )
    rows = (await session.execute(query)).all()
    frame = pd.DataFrame(rows, columns=MEMBER_COLUMNS)
    frame["joined_at"] = _utc(frame["joined_at"])
    return frame.astype({"community_id": "int64", "user_id": "int64", "reachable": "bool",
                         "invite_opt_out": "bool"})  # fmt: skip


async def texts_frame(
    community_id: int | Sequence[int] | None,
    *,
    session: AsyncSession,
    since: datetime | None = None,
) -> pd.DataFrame:
    """Stored message texts (only kept with [privacy] store_text), oldest first.

    Texts of members who stopped tracking are left out.
    """
    query = select(
        GroupMessage.community_id, GroupMessage.user_id, GroupMessage.sent_at, GroupMessage.text
    ).where(
        in_communities(GroupMessage.community_id, community_id),
        GroupMessage.text.is_not(None),
        GroupMessage.user_id.not_in(_opted_out()),
    )
    if since is not None:
        query = query.where(GroupMessage.sent_at >= since)
    rows = (await session.execute(query.order_by(GroupMessage.sent_at, GroupMessage.id))).all()
    frame = pd.DataFrame(rows, columns=TEXT_COLUMNS)
    frame["sent_at"] = _utc(frame["sent_at"])
    return frame.astype({"community_id": "int64", "user_id": "int64", "text": "object"})
