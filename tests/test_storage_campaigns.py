"""Campaign storage: eligibility and caps, waves and the outbox, uplift, the INVITATIONS frame."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from bot.campaigns.uplift import get_campaign_uplift
from storage.campaigns import (
    CampaignParams,
    PlannedInvitation,
    add_campaign,
    add_wave,
    get_salon_campaign,
)
from storage.frames_campaigns import candidates_frame, invitations_frame
from storage.invitations import add_decline, stop_invitations
from storage.models import OutboxMessage, Signup, User
from storage.models.salons import DECLINED, GOING, LEFT
from storage.outbox import claim_due, mark_failed, mark_sent, recover_in_flight
from storage.types import utcnow
from storage.users import CommunityInfo, upsert_communities
from tests.campaign_helpers import Member, invitations_of, seed_members
from tests.salon_helpers import make_salon
from tests.updates import COMMUNITY_ID


async def _community(db) -> None:
    async with db.begin() as session:
        await upsert_communities([CommunityInfo(COMMUNITY_ID, "读书会", "Asia/Shanghai", "zh")],
                                 session=session)  # fmt: skip


def _params(**changes) -> CampaignParams:
    values = dict(min_probability=0.0, max_invitations=None, segments=None, holdout_share=0.1,
                  seed=1, overbook=1.0, wave_hours=24, spread_hours=12,
                  window_ends_at=utcnow() + timedelta(days=2))  # fmt: skip
    return CampaignParams(**{**values, **changes})


async def _wave(db, salon, planned: list[PlannedInvitation]):
    async with db.begin() as session:
        campaign = await add_campaign(salon, _params(), session=session)
        if campaign is None:
            campaign = await get_salon_campaign(salon.id, session=session)
        await add_wave(campaign, planned, session=session)
    return campaign


def _invite(user_id: int, holdout: bool = False) -> PlannedInvitation:
    return PlannedInvitation(user_id, 0.5, "core", holdout, utcnow(), {"text": f"hi {user_id}"})


async def _eligible(db, salon, **caps) -> list[int]:
    caps = {"frequency_cap": 2, "frequency_days": 7, **caps}
    async with db.begin() as session:
        frame = await candidates_frame(salon, session=session, **caps)
    return sorted(frame["user_id"].tolist())


async def test_eligibility_reachable_not_opted_out_not_responded_not_chosen_under_cap(db):
    await _community(db)
    salon = await make_salon(db)
    others = [await make_salon(db, title=f"other {i}") for i in range(3)]
    members = [Member(u) for u in range(1, 9)] + [Member(9, reachable=False)]
    await seed_members(db, salon, members)
    async with db.begin() as session:
        await session.execute(update(User).where(User.id == 2).values(invites_opt_out=True))
        session.add(Signup(salon_id=salon.id, user_id=3, status=GOING))
        session.add(Signup(salon_id=salon.id, user_id=4, status=DECLINED))
        session.add(Signup(salon_id=salon.id, user_id=5, status=LEFT))
    await _wave(db, salon, [_invite(6, holdout=True)])  # withheld: chosen, never invited
    await _wave(db, others[0], [_invite(7)])
    await _wave(db, others[1], [_invite(7)])  # 2 invitations this week: at the cap
    await _wave(db, others[2], [_invite(8, holdout=True)])  # holdout does not count
    assert await _eligible(db, salon) == [1, 8]
    assert await _eligible(db, salon, frequency_cap=3) == [1, 7, 8]


async def test_a_wave_queues_one_outbox_message_per_invited_member_and_never_twice(db):
    await _community(db)
    salon = await make_salon(db)
    await seed_members(db, salon, [Member(u) for u in (1, 2, 3)])
    campaign = await _wave(db, salon, [_invite(1), _invite(2, holdout=True)])
    await _wave(db, salon, [_invite(1), _invite(3)])  # 1 again: ignored
    rows = await invitations_of(db, salon.id)
    assert [(r.user_id, r.status, r.wave, r.outbox_id is not None) for r in rows] == [
        (1, "pending", 1, True), (2, "withheld", 1, False), (3, "pending", 2, True)]  # fmt: skip
    assert {r.campaign_id for r in rows} == {campaign.id}
    async with db.begin() as session:
        keys = sorted(await session.scalars(select(OutboxMessage.dedupe_key)))
    assert keys == [f"invite:{salon.id}:1", f"invite:{salon.id}:3"]


async def test_invitation_status_follows_the_outbox(db):
    await _community(db)
    salon = await make_salon(db)
    await seed_members(db, salon, [Member(u) for u in (1, 2, 3, 4)])
    await _wave(db, salon, [_invite(u) for u in (1, 2, 3, 4)])
    rows = {r.user_id: r for r in await invitations_of(db, salon.id)}
    async with db.begin() as session:
        await mark_sent(rows[1].outbox_id, session=session, telegram_message_id=5)
        await mark_failed(rows[2].outbox_id, "Forbidden: blocked", session=session)
        claimed = await claim_due(10, session=session, skip_chats=frozenset({4}))
    assert [c.chat_id for c in claimed] == [3]
    async with db.begin() as session:
        await recover_in_flight(session=session)  # 3 was in flight at a "crash"
        await stop_invitations(4, session=session)
    statuses = {r.user_id: r.status for r in await invitations_of(db, salon.id)}
    assert statuses == {1: "sent", 2: "undeliverable", 3: "unknown", 4: "cancelled"}
    rows = {r.user_id: r for r in await invitations_of(db, salon.id)}
    assert rows[1].sent_at is not None
    async with db.begin() as session:
        assert (await session.get(User, 4)).invites_opt_out is True
        assert (await session.get(OutboxMessage, rows[4].outbox_id)).status == "cancelled"


async def test_uplift_counts_signups_of_invited_and_holdout_members(db):
    await _community(db)
    salon = await make_salon(db)
    users = list(range(1, 13))
    await seed_members(db, salon, [Member(u) for u in users])
    holdout = {10, 11, 12}
    campaign = await _wave(db, salon, [_invite(u, holdout=u in holdout) for u in users])
    async with db.begin() as session:
        for user_id, status in ((1, GOING), (2, GOING), (3, LEFT), (10, GOING)):
            session.add(Signup(salon_id=salon.id, user_id=user_id, status=status))
        await add_decline(salon.id, 4, session=session)
    async with db.begin() as session:
        uplift = await get_campaign_uplift(campaign.id, session=session)
    assert (uplift.invited, uplift.invited_signups) == (9, 3)
    assert (uplift.holdout, uplift.holdout_signups) == (3, 1)
    assert uplift.uplift == pytest.approx(3 / 9 - 1 / 3)
    assert uplift.low < uplift.uplift < uplift.high


async def test_decline_records_a_declined_signup_but_leaves_a_seat_alone(db):
    await _community(db)
    salon = await make_salon(db)
    await seed_members(db, salon, [Member(1), Member(2)])
    async with db.begin() as session:
        session.add(Signup(salon_id=salon.id, user_id=2, status=GOING))
    async with db.begin() as session:
        declined = await add_decline(salon.id, 1, session=session)
        assert declined.status == DECLINED and declined.source == "invitation"
        assert await add_decline(salon.id, 2, session=session) is None


async def test_invitations_frame_has_delivered_invitations_and_the_holdout(db):
    await _community(db)
    salon = await make_salon(db)
    await seed_members(db, salon, [Member(u) for u in (1, 2, 3)])
    await _wave(db, salon, [_invite(1), _invite(2), _invite(3, holdout=True)])
    rows = {r.user_id: r for r in await invitations_of(db, salon.id)}
    async with db.begin() as session:
        await mark_sent(rows[1].outbox_id, session=session)
    async with db.begin() as session:
        frame = await invitations_frame(COMMUNITY_ID, session=session)
    assert list(frame.columns) == ["event_id", "user_id", "sent_at", "holdout"]
    assert frame[["event_id", "user_id", "holdout"]].values.tolist() == [
        [salon.id, 1, False], [salon.id, 3, True]]  # fmt: skip
    assert str(frame["sent_at"].dtype) == "datetime64[ns, UTC]" and frame["sent_at"].notna().all()


async def test_member_facts_count_stored_messages_that_mention_the_salons_tags(db):
    from storage.invitations import list_member_facts
    from storage.models import GroupMessage

    await _community(db)
    salon = await make_salon(db, tags=("AI", "读书"))
    await seed_members(db, salon, [Member(11), Member(12), Member(13)])
    now = utcnow()
    texts = [(11, "AI agents are fun"), (11, "more about ai"), (11, "我在读书"),
             (12, "nothing here"), (12, None), (13, "ai, long ago")]  # fmt: skip
    async with db.begin() as session:
        for i, (user_id, text) in enumerate(texts):
            old = user_id == 13
            session.add(GroupMessage(
                community_id=COMMUNITY_ID, user_id=user_id, kind="text", length=9, text=text,
                sent_at=now - timedelta(days=200 if old else 1, minutes=i),
            ))  # fmt: skip
    async with db.begin() as session:
        facts = await list_member_facts(salon, [11, 12, 13], session=session)
    assert facts[11].talked == {"ai": 2, "读书": 1}
    assert facts[12].talked == {} and facts[13].talked == {}
