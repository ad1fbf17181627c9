"""Organizers of several communities choose one; nobody manages another community's salons."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest

from storage.models.salons import SALON_DRAFT, SALON_PUBLISHED
from tests.conftest import make_config
from tests.organizer import (
    ZH_ORGANIZER,
    alerts,
    buttons,
    last_call,
    local_in,
    salons_in,
    stored_salon,
    text_of,
)
from tests.updates import COMMUNITY_ID, EN_USER, ORGANIZER, callback_query, message

OTHER_ID = -1009876543210
ME = ORGANIZER["id"]


@pytest.fixture
def config(db_url):
    """Two communities: ORGANIZER runs both, EN_USER only the second (English) one."""
    return make_config(db_url, communities=[
        {"chat_id": COMMUNITY_ID, "title": "读书会", "timezone": "Asia/Shanghai",
         "language": "zh", "organizers": [ME]},
        {"chat_id": OTHER_ID, "title": "London Salon", "timezone": "Europe/London",
         "language": "en", "organizers": [ME, EN_USER["id"]]},
    ])  # fmt: skip


async def say(app, text, user=ORGANIZER):
    await app.process_update(message(text, user, bot=app.bot))


async def press(app, data, user=ORGANIZER):
    await app.process_update(callback_query(data, user, bot=app.bot))


async def test_organizer_of_two_communities_chooses_one(app, fake_request, db):
    start = local_in(3)
    await say(app, f"/newsalon Talk | {text_of(start)} | 8", ZH_ORGANIZER)
    choice = last_call(fake_request, ME)
    assert choice.params["text"] == "这个沙龙属于哪个社群？"
    assert buttons(choice) == {"读书会": f"S:n:{COMMUNITY_ID}", "London Salon": f"S:n:{OTHER_ID}"}
    assert await salons_in(db) == []
    await press(app, "S:n:-100555", ZH_ORGANIZER)  # forged: not a community they organize
    assert alerts(fake_request) == ["只有社群的组织者才能这样做。"]
    assert await salons_in(db) == []
    await press(app, f"S:n:{OTHER_ID}", ZH_ORGANIZER)
    [salon] = await salons_in(db)
    assert salon.community_id == OTHER_ID and salon.status == SALON_DRAFT
    # The time was read in London time, the community's zone.
    assert salon.starts_at == start.replace(tzinfo=ZoneInfo("Europe/London")).astimezone(UTC)
    preview = last_call(fake_request, ME)
    assert preview.params["text"].startswith("London Salon 的公告预览：")
    assert "📣 New salon!" in preview.params["text"]  # the announcement in the group's language
    await press(app, buttons(preview)["✅ 发布"], ZH_ORGANIZER)
    [post] = fake_request.calls_to("sendMessage", chat_id=OTHER_ID)
    assert post.params["text"].startswith("📣 New salon!")
    assert (await salons_in(db))[0].status == SALON_PUBLISHED


async def test_guided_conversation_asks_for_the_community_first(app, fake_request, db):
    await say(app, "/newsalon")
    await press(app, f"S:n:{OTHER_ID}")
    assert last_call(fake_request, ME).params["text"].startswith("What is the title")
    await say(app, "Talk")
    for _ in range(2):
        await press(app, next(iter(buttons(last_call(fake_request, ME)).values())))
    assert "Europe/London time" in last_call(fake_request, ME).params["text"]


async def test_organizer_of_one_community_cannot_touch_the_other(app, fake_request, db):
    theirs = await stored_salon(db, community_id=OTHER_ID, title="London")
    foreign = await stored_salon(db, community_id=COMMUNITY_ID, title="北京")
    draft = await stored_salon(db, community_id=COMMUNITY_ID, status=SALON_DRAFT)
    await say(app, "/salons", EN_USER)
    listed = buttons(last_call(fake_request, EN_USER["id"]))
    assert list(listed.values()) == [f"S:m:{theirs.id}"]
    forged = [f"S:m:{foreign.id}", f"S:X:{foreign.id}", f"S:et:{foreign.id}", f"S:pub:{draft.id}"]
    for data in [*forged, f"S:k:{foreign.id}:0", f"S:t:{foreign.id}:1001:0"]:
        await press(app, data, EN_USER)
    assert (
        alerts(fake_request)
        == ["That salon does not exist, or you do not organize its community."] * 6
    )
    assert [s.status for s in await salons_in(db)] == [
        SALON_PUBLISHED,
        SALON_PUBLISHED,
        SALON_DRAFT,
    ]
    assert fake_request.calls_to("sendMessage", chat_id=COMMUNITY_ID) == []
    # A single community: /newsalon goes straight to the questions.
    await say(app, "/newsalon", EN_USER)
    assert last_call(fake_request, EN_USER["id"]).params["text"].startswith("What is the title")
