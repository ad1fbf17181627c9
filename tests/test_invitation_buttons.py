"""The buttons under an invitation (incl. forged data) and delivery errors of invitations."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.campaigns.service import start_campaign
from bot.campaigns.texts import Audience
from bot.common.config import MessagingConfig
from bot.outbox.dispatcher import Dispatcher, dispatch_once
from storage.models import DM_BLOCKED, Salon, Signup, User
from storage.models.salons import DECLINED, GOING
from tests.campaign_helpers import Member, invitations_of, seed_members
from tests.conftest import make_config
from tests.organizer import alerts, outbox_rows
from tests.salon_helpers import make_salon
from tests.updates import callback_query

NO_HOLDOUT = {"holdout_share": 0.0}


@pytest.fixture
def config(db_url):
    return make_config(
        db_url,
        campaigns=NO_HOLDOUT,
        messaging={"quiet_hours_start": "00:00", "quiet_hours_end": "00:00"},
    )


def user(user_id: int, language: str = "en") -> dict:
    return {"id": user_id, "is_bot": False, "first_name": f"M{user_id}", "language_code": language}


async def press(app, data, who):
    await app.process_update(callback_query(data, who, bot=app.bot))


async def _campaign(app, db, config, ids, capacity=20):
    salon = await make_salon(db, capacity=capacity)
    await seed_members(db, salon, [Member(u, 0.9) for u in ids])
    started = await start_campaign(db, config, salon.id, Audience())
    assert started.created and started.queued == len(ids)
    return salon


async def _signup(db, salon_id, user_id):
    async with db.begin() as session:
        query = select(Signup).where(Signup.salon_id == salon_id, Signup.user_id == user_id)
        return (await session.scalars(query)).first()


async def test_join_goes_through_the_atomic_signup_with_source_invitation(
    app, fake_request, db, config
):
    salon = await _campaign(app, db, config, [7001, 7002])
    await press(app, f"I:j:{salon.id}", user(7001))
    signup = await _signup(db, salon.id, 7001)
    assert (signup.status, signup.source) == (GOING, "invitation")
    texts = fake_request.sent_texts(7001)
    assert texts[0].startswith("You are in! See you there.")
    assert fake_request.calls_to("sendDocument", chat_id=7001)  # the .ics, as for /join
    rows = {r.user_id: r for r in await invitations_of(db, salon.id)}
    assert rows[7001].response == "joined" and rows[7002].response is None
    await press(app, f"I:j:{salon.id}", user(7001))  # twice: still one seat
    async with db.begin() as session:
        assert (await session.get(Salon, salon.id)).going_count == 1


async def test_not_this_time_records_a_decline(app, fake_request, db, config):
    salon = await _campaign(app, db, config, [7101, 7102])
    await press(app, f"I:n:{salon.id}", user(7101, "zh-hans"))
    signup = await _signup(db, salon.id, 7101)
    assert (signup.status, signup.source) == (DECLINED, "invitation")
    assert fake_request.sent_texts(7101) == ["谢谢告知，下次再见！"]
    rows = {r.user_id: r for r in await invitations_of(db, salon.id)}
    assert rows[7101].response == "declined"
    # Someone who joined is told how to leave instead; their seat stays.
    await press(app, f"I:j:{salon.id}", user(7102))
    await press(app, f"I:n:{salon.id}", user(7102))
    assert (await _signup(db, salon.id, 7102)).status == GOING
    assert alerts(fake_request)[-1].startswith("You are signed up for «Reading night 读书夜»")


async def test_stop_invitations_opts_out_and_withdraws_queued_invitations(
    app, fake_request, db, config
):
    salon = await _campaign(app, db, config, [7201])
    other = await make_salon(db, title="Another night", capacity=20)
    await seed_members(db, other, [Member(7201, 0.9)])
    await start_campaign(db, config, other.id, Audience())
    await press(app, f"I:x:{salon.id}", user(7201))
    async with db.begin() as session:
        assert (await session.get(User, 7201)).invites_opt_out is True
    statuses = {
        r.salon_id: (r.status, r.response)
        for r in (await invitations_of(db, salon.id) + await invitations_of(db, other.id))
    }
    assert statuses == {salon.id: ("cancelled", "stopped"), other.id: ("cancelled", None)}
    assert {r.status for r in await outbox_rows(db)} == {"cancelled"}
    assert fake_request.sent_texts(7201)[0].startswith("Done: I will not send you invitations")


async def test_forged_and_malformed_invitation_buttons_change_nothing(
    app, fake_request, db, config
):
    salon = await _campaign(app, db, config, [7301])
    stranger = user(7399)
    for data in (f"I:j:{salon.id}", f"I:n:{salon.id}", f"I:x:{salon.id}"):
        await press(app, data, stranger)  # a real salon, but not invited
    for data in ("I:j:abc", "I:j", f"I:j:{salon.id}:5", "I:zz:1", "I:j:" + "9" * 25):
        await press(app, data, user(7301))
    assert (
        alerts(fake_request)
        == ["This invitation is not valid for you."] * 3 + ["This button is no longer valid."] * 5
    )
    async with db.begin() as session:
        assert list(await session.scalars(select(Signup))) == []
        assert (await session.get(User, 7301)).invites_opt_out is False
    assert fake_request.sent_texts() == []


async def test_delivery_errors_forbidden_retry_after_network(app, fake_request, db, config):
    salon = await _campaign(app, db, config, [7401, 7402, 7403])
    api = fake_request.api
    dispatcher = Dispatcher(MessagingConfig(global_rate_per_second=2, max_attempts=3))
    api.fail("sendMessage", 403, "Forbidden: bot was blocked by the user", times=1)
    await dispatch_once(app.bot, db, dispatcher)
    api.fail("sendMessage", 429, "Too Many Requests: retry after 5", times=1, retry_after=5)
    await dispatch_once(app.bot, db, dispatcher)
    assert dispatcher.paused_until > 0
    dispatcher.paused_until = 0
    api.fail("sendMessage", 502, "Bad Gateway", times=1)
    await dispatch_once(app.bot, db, dispatcher)
    rows = {r.user_id: r for r in await invitations_of(db, salon.id)}
    outbox = {r.chat_id: r for r in await outbox_rows(db)}
    assert rows[7401].status == "undeliverable"
    async with db.begin() as session:
        assert (await session.get(User, 7401)).dm_status == DM_BLOCKED
    assert rows[7402].status == "pending" and outbox[7402].attempts == 0  # flood wait
    assert rows[7403].status == "pending" and outbox[7403].attempts == 1  # backing off
    assert len(fake_request.calls_to("sendMessage")) == 3
