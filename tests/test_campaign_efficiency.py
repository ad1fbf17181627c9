"""Campaigns aim at the free seats with calibrated probabilities; /stats shows efficiency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from bot.stats.texts import salon_lines
from storage.campaign_history import get_prediction_record
from storage.campaigns import CampaignParams, add_campaign, set_uplift
from storage.models import Salon
from storage.signups import add_signup
from storage.stats_salons import list_salon_funnels
from storage.types import utcnow
from tests.campaign_helpers import Member, invitations_of, seed_members
from tests.conftest import make_config
from tests.organizer import alerts, buttons, last_call
from tests.salon_helpers import make_salon
from tests.updates import COMMUNITY_ID, ORGANIZER, callback_query, message

ME = ORGANIZER["id"]


@pytest.fixture
def config(db_url):
    return make_config(db_url, messaging={"quiet_hours_start": "00:00",
                                          "quiet_hours_end": "00:00"})  # fmt: skip


async def _past_campaign(db, predicted: float, actual: int) -> None:
    """A finished salon whose campaign brought `actual` signups where `predicted` were due."""
    salon = await make_salon(db, capacity=50, title="Earlier salon")
    params = CampaignParams(0.0, None, None, 0.1, 1, 1.15, 24.0, 4.0, utcnow())
    async with db.begin() as session:
        campaign = await add_campaign(salon, params, session=session)
        await set_uplift(campaign.id, {"predicted_signups": predicted, "invited_signups": actual,
                                       "invited": 40, "holdout": 4}, session=session)  # fmt: skip
        await session.execute(update(Salon).where(Salon.id == salon.id)
                              .values(starts_at=utcnow() - timedelta(days=2)))  # fmt: skip


async def _first_wave(app, fake_request, db) -> list:
    salon = await make_salon(db, capacity=3)
    await seed_members(db, salon, [Member(u, 0.5) for u in range(5001, 5031)])
    await app.process_update(message(f"/invite {salon.short_code}", ORGANIZER, bot=app.bot))
    confirm = buttons(last_call(fake_request, ME))["✅ Send invitations"]
    await app.process_update(callback_query(confirm, ORGANIZER, bot=app.bot))
    return await invitations_of(db, salon.id)


async def test_without_a_record_the_wave_uses_the_model_as_is(app, fake_request, db):
    wave = await _first_wave(app, fake_request, db)
    assert len(wave) == 8  # 3 seats * 1.15 / 0.9 / 0.5


async def test_a_community_that_beat_its_predictions_gets_smaller_waves(app, fake_request, db):
    await _past_campaign(db, predicted=5.0, actual=25)  # ratio (25 + 10) / (5 + 10) = 2.33
    async with db.begin() as session:
        assert await get_prediction_record(COMMUNITY_ID, session=session, now=utcnow()) == (
            5.0, 25)  # fmt: skip
    wave = await _first_wave(app, fake_request, db)
    assert len(wave) == 4  # 3 * 1.15 / 0.9 / min(0.5 * 2.33, 0.99)
    assert {row.probability for row in wave} == {0.5}  # the model's own figure is stored


async def test_stats_counts_invitations_per_signup_and_the_over_invited(app, fake_request, db):
    wave = await _first_wave(app, fake_request, db)
    invited = [row.user_id for row in wave if not row.holdout]
    async with db.begin() as session:
        for user_id in invited[:5]:  # 3 seats: two go to the waitlist
            await add_signup(wave[0].salon_id, user_id, session=session)
        salon = await session.get(Salon, wave[0].salon_id)
        [funnel] = await list_salon_funnels([salon], session=session)
    assert (funnel.invited, funnel.invited_signups, funnel.invited_waitlisted) == (7, 5, 2)
    lines = "\n".join(salon_lines(funnel, None, "Asia/Shanghai", "en"))
    assert "invitations per signup 1.4; invited but waitlisted (over-invited) 2" in lines
    zh = "\n".join(salon_lines(funnel, None, "Asia/Shanghai", "zh"))
    assert "每次报名所需邀请 1.4" in zh


async def test_the_organizer_sees_the_detectable_uplift_and_chooses_the_holdout(
    app, fake_request, db
):
    salon = await make_salon(db, capacity=30)
    await seed_members(db, salon, [Member(u, 0.2) for u in range(5001, 5301)])
    await app.process_update(message(f"/invite {salon.short_code}", ORGANIZER, bot=app.bot))
    preview = last_call(fake_request, ME)
    text = preview.params["text"]
    assert "With this holdout the campaign can detect an uplift of" in text
    small = int(text.split("detect an uplift of ")[1].split("%")[0])
    labels = buttons(preview)
    assert "● Holdout 10%" in labels and "Holdout 30%" in labels
    await app.process_update(callback_query(labels["Holdout 30%"], ORGANIZER, bot=app.bot))
    chosen = last_call(fake_request, ME)
    assert "● Holdout 30%" in buttons(chosen)
    assert "(30% of those chosen)" in chosen.params["text"]
    bigger = int(chosen.params["text"].split("detect an uplift of ")[1].split("%")[0])
    assert bigger < small
    forged = labels["Holdout 30%"].rsplit(":", 1)[0] + ":7"
    await app.process_update(callback_query(forged, ORGANIZER, bot=app.bot))
    assert alerts(fake_request)[-1] == "This button is no longer valid."
    send = buttons(chosen)["✅ Send invitations"]
    await app.process_update(callback_query(send, ORGANIZER, bot=app.bot))
    wave = await invitations_of(db, salon.id)
    assert sum(r.holdout for r in wave) == round(0.3 * len(wave))
