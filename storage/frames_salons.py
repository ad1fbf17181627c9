"""Salons and signups as the DataFrames the recommender takes (see recommender/frames.py)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.currencies import to_major
from storage.frames import float_column, in_communities, raw, rows_of, table_of, utc_column
from storage.models import Salon, Signup
from storage.models.salons import (
    DECLINED,
    GOING,
    HELD,
    LEFT,
    OFFERED,
    SALON_CANCELLED,
    SALON_DRAFT,
    WAITLIST,
)

# Storage statuses -> the recommender's responses. A member who signed up and later left did
# sign up; an offered seat came from the waitlist.
RESPONSES = {GOING: "yes", LEFT: "yes", HELD: "yes", OFFERED: "waitlist", WAITLIST: "waitlist",
             DECLINED: "no", "maybe": "maybe"}  # fmt: skip
EVENT_COLUMNS = ["event_id", "community_id", "title", "description", "tags", "starts_at",
                 "capacity", "price", "created_at"]  # fmt: skip
SIGNUP_COLUMNS = ["event_id", "user_id", "status", "responded_at", "attended", "rating"]


def _utc(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype="object"), utc=True)


async def events_frame(
    community_id: int | Sequence[int] | None, *, session: AsyncSession
) -> pd.DataFrame:
    """The community's salons (not drafts or cancelled ones), one row each.

    `created_at` is when the salon was announced; it is NaT for imported salons (the import
    time is not an announcement time) so features are cut off a week before the start.
    """
    rows = (
        await session.execute(
            select(
                Salon.id, Salon.community_id, Salon.title, Salon.description, Salon.tags,
                Salon.starts_at, Salon.capacity, Salon.price_amount, Salon.created_at,
                Salon.source_id, Salon.currency,
            ).where(
                in_communities(Salon.community_id, community_id),
                Salon.status.not_in([SALON_DRAFT, SALON_CANCELLED]),
            ).order_by(Salon.starts_at, Salon.id)
        )
    ).all()  # fmt: skip
    frame = pd.DataFrame(rows, columns=[*EVENT_COLUMNS, "source_id", "currency"])
    currencies = frame["currency"].tolist()
    frame["event_id"] = frame["event_id"].astype("int64")
    frame["community_id"] = frame["community_id"].astype("int64")
    frame["starts_at"] = _utc(frame["starts_at"])
    created = _utc(frame["created_at"])
    announced = frame["source_id"].isna() & (created < frame["starts_at"])
    frame["created_at"] = created.where(announced, pd.NaT)
    frame["capacity"] = frame["capacity"].astype("float64")
    # The salon_price feature is in the currency's main unit (49.50 yuan, 50 Stars), as in an
    # imported events.csv; imported prices have no currency and are in hundredths.
    frame["price"] = [to_major(a or 0, c or "") for a, c in zip(frame["price"], currencies,
                                                                strict=True)]  # fmt: skip
    frame["price"] = frame["price"].astype("float64")
    for column in ("title", "description", "tags"):
        frame[column] = frame[column].fillna("").astype(object)
    return frame[EVENT_COLUMNS]


async def signups_frame(
    community_id: int | Sequence[int] | None,
    *,
    session: AsyncSession,
    user_ids: Sequence[int] | None = None,
) -> pd.DataFrame:
    """Every member response to the community's salons (those in `events_frame`).

    With `user_ids`, only those members' responses (read in batches of ids).
    """
    query = (
        select(Signup.salon_id, Signup.user_id, Signup.status, raw(Signup.responded_at),
               raw(Signup.attended), Signup.rating)
        .join(Salon, Salon.id == Signup.salon_id)
        .where(
            in_communities(Salon.community_id, community_id),
            Salon.status.not_in([SALON_DRAFT, SALON_CANCELLED]),
            Signup.status.in_(list(RESPONSES)),
        )
    )  # fmt: skip
    rows = await rows_of(query, Signup.user_id, user_ids, session=session)
    t = table_of(rows, len(SIGNUP_COLUMNS))
    status = pd.Series(t[:, 2], dtype=object).map(RESPONSES)
    return pd.DataFrame({
        "event_id": t[:, 0].astype(np.int64),
        "user_id": t[:, 1].astype(np.int64),
        "status": status.to_numpy(dtype=object),
        "responded_at": utc_column(t[:, 3]).array,
        "attended": float_column(t[:, 4]),
        "rating": float_column(t[:, 5]),
    })[SIGNUP_COLUMNS]  # fmt: skip
