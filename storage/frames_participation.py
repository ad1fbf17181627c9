"""Participation aggregates of every member at some cutoffs, computed by the database.

The recommender's PARTICIPATION_AGGREGATES frame (recommender/participation.py defines each
column) for all members of a community with any response or invitation, so one row per
member leaves the database instead of every signup (millions in a large community). All
requested (cutoff, salon tags) are computed in one pass over the signups and one over the
invitations; members without a row have no history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from recommender import frames
from recommender.participation import tags_key
from storage.frames import raw, table_of, utc_column
from storage.frames_salons import RESPONSES
from storage.models import Invitation, Salon, Signup
from storage.models.campaigns import INV_SENT
from storage.models.salons import SALON_CANCELLED, SALON_DRAFT

YES = [s for s, r in RESPONSES.items() if r == "yes"]
POSITIVE = [s for s, r in RESPONSES.items() if r in frames.POSITIVE_STATUSES]
DECLINE = [s for s, r in RESPONSES.items() if r == "no"]
_SUMS = ("joined", "attended", "no_shows", "declines")


def _weights(salons: list[tuple[int, str]], wanted: set[str] | None) -> dict[int, int]:
    """Per salon: its number of tags (wanted None) or of tags among `wanted`."""
    out = {}
    for salon_id, tags in salons:
        have = frames.split_tags(tags)
        n = len(have) if wanted is None else len(have & wanted)
        if n:
            out[int(salon_id)] = n
    return out


def _by_salon(weights: dict[int, int]):
    return case(weights, value=Signup.salon_id, else_=0) if weights else literal(0)


def _signup_query(listed, cutoff: datetime, total: dict[int, int], hits: dict[int, int]):
    """Per member: the responses known at the cutoff, counted (the WHERE keeps only those, so
    the aggregates stay plain sums)."""
    went = Signup.attended.is_(True)
    liked = Signup.status.in_(POSITIVE) | went

    def count(condition):
        return func.sum(case((condition, 1), else_=0))

    columns = [
        count(Signup.status.in_(POSITIVE)),
        count(went),
        count(Signup.status.in_(YES) & Signup.attended.is_(False)),
        count(Signup.status.in_(DECLINE)),
        raw(func.max(case((went, Salon.starts_at)))),
        func.sum(Signup.rating),
        func.count(Signup.rating),
        func.sum(case((liked, _by_salon(total)), else_=0)),
        func.sum(case((liked, _by_salon(hits)), else_=0)) if hits else literal(0),
    ]
    return (
        select(Signup.user_id, *columns)
        .join(Salon, Salon.id == Signup.salon_id)
        .where(
            listed,
            Signup.status.in_(list(RESPONSES)),
            Salon.starts_at < cutoff,
            func.coalesce(Signup.responded_at, Salon.starts_at) < cutoff,
        )  # fmt: skip
        .group_by(Signup.user_id)
    )


async def participation_frame(
    community_id: int, requests: Sequence[tuple[pd.Timestamp, object]], *, session: AsyncSession
) -> pd.DataFrame:
    """PARTICIPATION_AGGREGATES of every member with history at each (cutoff, tags)."""
    requests = list(dict.fromkeys((pd.Timestamp(c), tags_key(t)) for c, t in requests))
    if not requests:
        return frames.empty_frame(frames.PARTICIPATION_AGGREGATES)
    listed = and_(Salon.community_id == community_id,
                  Salon.status.not_in([SALON_DRAFT, SALON_CANCELLED]))  # fmt: skip
    salons = (await session.execute(select(Salon.id, Salon.tags).where(listed))).all()
    total = _weights(salons, None)
    signed = []
    for cutoff, tags in requests:
        hits = _weights(salons, frames.split_tags(tags)) if tags else {}
        query = _signup_query(listed, cutoff.to_pydatetime(), total, hits)
        signed.append(table_of((await session.execute(query)).all(), 10))
    sent = [func.sum(case((Invitation.sent_at < c.to_pydatetime(), 1), else_=0))
            for c, _ in requests]  # fmt: skip
    query = (
        select(Invitation.user_id, *sent)
        .join(Salon, Salon.id == Invitation.salon_id)
        .where(listed, Invitation.holdout.is_(False), Invitation.status == INV_SENT)
        .group_by(Invitation.user_id)
    )
    invited = table_of((await session.execute(query)).all(), 1 + len(sent))
    ids = [part[:, 0].astype(np.int64) for part in (*signed, invited)]
    users = pd.Index(np.unique(np.concatenate(ids)), name="user_id")
    at_invited = users.get_indexer(ids[-1])
    parts = []
    for k, (cutoff, tags) in enumerate(requests):
        block, at_signed = signed[k][:, 1:], users.get_indexer(ids[k])
        out = pd.DataFrame(0.0, index=users, columns=list(frames.PARTICIPATION_AGGREGATE_VALUES))
        for j, name in enumerate((*_SUMS, "last_attended", "rating_sum", "rating_count",
                                  "tag_total", "tag_hits")):  # fmt: skip
            if name == "last_attended":
                continue
            values = pd.Series(block[:, j], dtype=object).astype("float64").fillna(0.0)
            out.iloc[at_signed, out.columns.get_loc(name)] = values.to_numpy()
        last = pd.Series(pd.NaT, index=users, dtype="datetime64[ns, UTC]")
        last.iloc[at_signed] = utc_column(block[:, 4]).array
        out["last_attended"] = last
        out.iloc[at_invited, out.columns.get_loc("invited")] = invited[:, 1 + k].astype(float)
        out = out.reset_index()
        out.insert(0, "community_id", np.int64(community_id))
        out.insert(2, "cutoff", cutoff)
        out.insert(3, "tags", tags)
        parts.append(out[list(frames.PARTICIPATION_AGGREGATES)])
    return pd.concat(parts, ignore_index=True)
