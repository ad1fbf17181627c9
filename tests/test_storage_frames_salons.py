"""Salons and signups become the recommender's frames with the right types and meanings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import update

from storage.frames_salons import events_frame, signups_frame
from storage.models import Salon, Signup
from storage.salons import NewSalon, add_salon
from storage.users import CommunityInfo, UserInfo, upsert_communities, upsert_user

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


async def test_events_and_signups_frames(db):
    async with db.begin() as session:
        await upsert_communities([CommunityInfo(-5, "c", "UTC", "en")], session=session)
        for uid in (1, 2, 3):
            await upsert_user(UserInfo(uid, "u"), session=session)
        made_here = await add_salon(
            NewSalon(-5, "AI 沙龙", T0, 10, tags=("ai", "startups")), session=session
        )
        imported = await add_salon(NewSalon(-5, "Old", T0 - timedelta(days=30), source_id="x"),
                                   session=session)  # fmt: skip
        cancelled = await add_salon(NewSalon(-5, "Gone", T0, 5, status="cancelled"),
                                    session=session)  # fmt: skip
        await session.execute(
            update(Salon).where(Salon.id == made_here.id).values(created_at=T0 - timedelta(days=5))
        )
        session.add_all([
            Signup(salon_id=made_here.id, user_id=1, status="going", attended=True, rating=5),
            Signup(salon_id=made_here.id, user_id=2, status="declined"),
            Signup(salon_id=imported.id, user_id=3, status="left", attended=False),
            Signup(salon_id=cancelled.id, user_id=1, status="going"),
        ])  # fmt: skip
    async with db.begin() as session:
        events = await events_frame(-5, session=session)
        signups = await signups_frame(-5, session=session)
    assert list(events["event_id"]) == [imported.id, made_here.id]
    assert isinstance(events["starts_at"].dtype, pd.DatetimeTZDtype)
    row = events.set_index("event_id").loc[made_here.id]
    assert row["tags"] == "ai;startups" and row["capacity"] == 10.0 and row["price"] == 0.0
    assert row["created_at"] == pd.Timestamp(T0 - timedelta(days=5))
    assert pd.isna(events.set_index("event_id").loc[imported.id, "created_at"])
    by_user = signups.set_index(["event_id", "user_id"])
    assert by_user.loc[(made_here.id, 1), "status"] == "yes"
    assert by_user.loc[(made_here.id, 1), "attended"] == 1.0
    assert by_user.loc[(made_here.id, 1), "rating"] == 5.0
    assert by_user.loc[(made_here.id, 2), "status"] == "no"
    assert pd.isna(by_user.loc[(made_here.id, 2), "attended"])
    assert by_user.loc[(imported.id, 3), "status"] == "yes"
    assert by_user.loc[(imported.id, 3), "attended"] == 0.0
    assert len(signups) == 3  # not the cancelled salon's


async def test_the_price_feature_comes_from_price_amount_in_main_units(db):
    async with db.begin() as session:
        await upsert_communities([CommunityInfo(-5, "c", "UTC", "en")], session=session)
        stars = await add_salon(NewSalon(-5, "Stars", T0, 5, price_amount=50, currency="XTR"),
                                session=session)  # fmt: skip
        yuan = await add_salon(NewSalon(-5, "Yuan", T0, 5, price_amount=4990, currency="CNY"),
                               session=session)  # fmt: skip
        imported = await add_salon(NewSalon(-5, "Old", T0, source_id="y", price_amount=4950),
                                   session=session)  # fmt: skip
        held = await add_salon(NewSalon(-5, "Paying", T0, 5), session=session)
        await upsert_user(UserInfo(9, "u"), session=session)
        session.add(Signup(salon_id=held.id, user_id=9, status="held"))
    async with db.begin() as session:
        events = (await events_frame(-5, session=session)).set_index("event_id")["price"]
        signups = await signups_frame(-5, session=session)
    assert (events[stars.id], events[yuan.id], events[imported.id]) == (50.0, 49.9, 49.5)
    assert signups["status"].tolist() == ["yes"]  # a member paying for a held seat said yes
