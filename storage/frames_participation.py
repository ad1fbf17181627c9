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
_NEVER = np.iinfo(np.int64).min


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


def _known(cutoff: datetime):
    """Responses known at the cutoff: to salons started before it, given before it."""
    return and_(Salon.starts_at < cutoff,
                func.coalesce(Signup.responded_at, Salon.starts_at) < cutoff)  # fmt: skip


def _signup_query(listed, cutoff: datetime, total: dict[int, int], hits: list[dict[int, int]]):
    """Per member: the responses known at the cutoff, counted (the WHERE keeps only those, so
    the aggregates stay plain sums); one tag-hits sum per asked set of tags."""
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
        *(func.sum(case((liked, _by_salon(h)), else_=0)) for h in hits),
    ]
    return (
        select(Signup.user_id, *columns)
        .join(Salon, Salon.id == Signup.salon_id)
        .where(listed, Signup.status.in_(list(RESPONSES)), _known(cutoff))
        .group_by(Signup.user_id)
    )


def _base_frame(t: np.ndarray, tagsets: list[str]) -> pd.DataFrame:
    """The grouped query's rows as a frame (index user_id, last_attended in ns)."""
    names = [*_SUMS, "last_attended", "rating_sum", "rating_count", "tag_total",
             *(f"hits:{t}" for t in tagsets)]  # fmt: skip
    out = pd.DataFrame(index=pd.Index(t[:, 0].astype(np.int64), name="user_id"))
    for j, name in enumerate(names, start=1):
        if name == "last_attended":
            out[name] = utc_column(t[:, j]).array.asi8
        else:
            out[name] = pd.Series(t[:, j], dtype=object).astype("float64").fillna(0.0).to_numpy()
    return out


async def _delta_frame(session, listed, since: datetime, cutoff: datetime, total, hits, tagsets):
    """The same aggregates over the responses known at `cutoff` but not yet at `since`."""
    query = (
        select(Signup.user_id, Signup.salon_id, Signup.status, raw(Signup.attended),
               Signup.rating, raw(Salon.starts_at))
        .join(Salon, Salon.id == Signup.salon_id)
        .where(listed, Signup.status.in_(list(RESPONSES)), _known(cutoff), ~_known(since))
    )  # fmt: skip
    t = table_of((await session.execute(query)).all(), 6)
    status = pd.Series(t[:, 2], dtype=object)
    attended = pd.Series(t[:, 3], dtype=object).astype("float64")
    went = (attended == 1.0).to_numpy()
    liked = status.isin(POSITIVE).to_numpy() | went
    salon = t[:, 1].astype(np.int64)
    rows = pd.DataFrame({
        "user_id": t[:, 0].astype(np.int64),
        "joined": status.isin(POSITIVE).to_numpy(float),
        "attended": went.astype(float),
        "no_shows": (status.isin(YES) & (attended == 0.0)).to_numpy(float),
        "declines": status.isin(DECLINE).to_numpy(float),
        "last_attended": np.where(went, utc_column(t[:, 5]).array.asi8, _NEVER),
        "rating_sum": pd.Series(t[:, 4], dtype=object).astype("float64").fillna(0.0),
        "rating_count": pd.Series(t[:, 4], dtype=object).notna().to_numpy(float),
        "tag_total": liked * np.array([total.get(s, 0) for s in salon], dtype=float),
        **{f"hits:{tags}": liked * np.array([h.get(s, 0) for s in salon], dtype=float)
           for tags, h in zip(tagsets, hits, strict=True)},
    })  # fmt: skip
    grouped = rows.groupby("user_id")
    out = grouped.sum()
    out["last_attended"] = grouped["last_attended"].max()
    return out


def _combined(base: pd.DataFrame, delta: pd.DataFrame) -> pd.DataFrame:
    """Sums added, the latest attended salon kept (timestamps stay int64 nanoseconds)."""
    users = base.index.union(delta.index)
    sums = [c for c in base.columns if c != "last_attended"]
    out = base[sums].reindex(users, fill_value=0.0) + delta[sums].reindex(users, fill_value=0.0)
    out["last_attended"] = np.maximum(
        base["last_attended"].reindex(users, fill_value=_NEVER).to_numpy(),
        delta["last_attended"].reindex(users, fill_value=_NEVER).to_numpy(),
    )
    return out


async def participation_frame(
    community_id: int, requests: Sequence[tuple[pd.Timestamp, object]], *, session: AsyncSession
) -> pd.DataFrame:
    """PARTICIPATION_AGGREGATES of every member with history at each (cutoff, tags).

    One grouped pass over the responses at the earliest cutoff; later cutoffs add the few
    responses known at them but not yet at the earliest. One pass over the invitations.
    """
    requests = list(dict.fromkeys((pd.Timestamp(c), tags_key(t)) for c, t in requests))
    if not requests:
        return frames.empty_frame(frames.PARTICIPATION_AGGREGATES)
    listed = and_(Salon.community_id == community_id,
                  Salon.status.not_in([SALON_DRAFT, SALON_CANCELLED]))  # fmt: skip
    salons = (await session.execute(select(Salon.id, Salon.tags).where(listed))).all()
    total = _weights(salons, None)
    tagsets = sorted({tags for _, tags in requests if tags})
    hits = [_weights(salons, frames.split_tags(tags)) for tags in tagsets]
    first = min(cutoff for cutoff, _ in requests).to_pydatetime()
    query = _signup_query(listed, first, total, hits)
    base = _base_frame(table_of((await session.execute(query)).all(), 9 + len(hits)), tagsets)
    at_cutoff = {}
    for cutoff in sorted({c for c, _ in requests}):
        plain = cutoff.to_pydatetime()
        if plain == first:
            at_cutoff[cutoff] = base
            continue
        delta = await _delta_frame(session, listed, first, plain, total, hits, tagsets)
        at_cutoff[cutoff] = _combined(base, delta)
    sent = [func.sum(case((Invitation.sent_at < c.to_pydatetime(), 1), else_=0))
            for c, _ in requests]  # fmt: skip
    query = (
        select(Invitation.user_id, *sent)
        .join(Salon, Salon.id == Invitation.salon_id)
        .where(listed, Invitation.holdout.is_(False), Invitation.status == INV_SENT)
        .group_by(Invitation.user_id)
    )
    invited = table_of((await session.execute(query)).all(), 1 + len(sent))
    invited_users = invited[:, 0].astype(np.int64)
    users = pd.Index(
        np.unique(np.concatenate([invited_users, *(f.index for f in at_cutoff.values())])),
        name="user_id",
    )
    parts = []
    for k, (cutoff, tags) in enumerate(requests):
        agg = at_cutoff[cutoff]
        out = pd.DataFrame(index=users)
        for name in (*_SUMS, "rating_sum", "rating_count", "tag_total"):
            out[name] = agg[name].reindex(users, fill_value=0.0).to_numpy()
        hits_of = agg[f"hits:{tags}"] if tags else None
        out["tag_hits"] = 0.0 if hits_of is None else hits_of.reindex(users, fill_value=0.0)
        last = agg["last_attended"].reindex(users, fill_value=_NEVER).to_numpy()
        out["last_attended"] = pd.to_datetime(last, utc=True).where(last != _NEVER, pd.NaT)
        out["invited"] = 0.0
        out.loc[invited_users, "invited"] = invited[:, 1 + k].astype(float)
        out = out.reset_index()
        out.insert(0, "community_id", np.int64(community_id))
        out.insert(2, "cutoff", cutoff)
        out.insert(3, "tags", tags)
        parts.append(out[list(frames.PARTICIPATION_AGGREGATES)])
    return pd.concat(parts, ignore_index=True)
