"""/privacy and its P: buttons through the real application and the activity tracker."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from storage.frames_campaigns import candidates_frame
from storage.models import GroupMessage, Reaction, User
from tests.campaign_helpers import Member, seed_members
from tests.conftest import TOKEN
from tests.organizer import alerts, buttons, last_call
from tests.privacy_helpers import (
    PERSON,
    PERSON_NAME,
    PERSON_TEXT,
    all_counts,
    find_anywhere,
    seed_person,
)
from tests.salon_helpers import make_salon
from tests.updates import (
    EN_USER,
    GROUP,
    ZH_USER,
    callback,
    emoji,
    group_message,
    message,
    reaction,
)

ME = {"id": PERSON, "is_bot": False, "first_name": PERSON_NAME, "language_code": "en"}


async def press(app, data: str, user: dict = ME):
    """Press a button in the user's private chat."""
    await app.process_update(callback(data, user, bot=app.bot))


async def test_privacy_explains_in_both_languages_with_the_buttons(app, fake_request):
    await app.process_update(message("/privacy", EN_USER, bot=app.bot))
    await app.process_update(message("/privacy", ZH_USER, bot=app.bot))
    en = last_call(fake_request, EN_USER["id"])
    zh = last_call(fake_request, ZH_USER["id"])
    assert en.params["text"].startswith("Your data and your choices")
    assert "is not stored" in en.params["text"]
    assert "Tracking in the group: on. Invitations: on." in en.params["text"]
    assert buttons(en) == {"See my data": "P:see", "Stop invitations": "P:inv:0",
                           "Stop tracking": "P:trk:0", "Delete my data": "P:del"}  # fmt: skip
    assert zh.params["text"].startswith("你的数据和你的选择")
    assert set(buttons(zh).values()) == {"P:see", "P:inv:0", "P:trk:0", "P:del"}


async def test_privacy_in_the_group_points_to_the_private_chat(app, fake_request):
    await app.process_update(message("/privacy", EN_USER, chat=GROUP, bot=app.bot))
    call = last_call(fake_request, GROUP["id"])
    assert list(buttons(call).values()) == ["https://t.me/salon_test_bot?start=privacy"]
    await app.process_update(message("/start privacy", EN_USER, bot=app.bot))
    assert last_call(fake_request, EN_USER["id"]).params["text"].startswith("Your data")


async def test_see_my_data_sends_a_json_document_of_everything(app, fake_request, db):
    await seed_person(db)
    await press(app, "P:see")
    [call] = fake_request.calls_to("sendDocument", chat_id=PERSON)
    document = call.params["document"]
    assert document["filename"] == f"my-data-{PERSON}.json"
    data = json.loads(document["data"])
    assert data["user"]["first_name"] == PERSON_NAME
    assert [m["text"] for m in data["messages"]] == [PERSON_TEXT]
    assert len(data["signups"]) == 2 and data["invitations"] and data["outbox"]
    assert TOKEN not in document["data"].decode() and TOKEN.split(":")[1] not in call.params.get(
        "caption", ""
    )


async def test_stop_tracking_ends_logging_through_the_real_tracker_then_resumes(
    app, db, fake_request
):
    async def stored(model) -> int:
        await app.bot_data.activity.flush()
        async with db.begin() as session:
            return await session.scalar(
                select(func.count()).select_from(model).where(model.user_id == PERSON)
            )

    first = group_message("before", ME, app.bot)
    await app.process_update(first)
    assert await stored(GroupMessage) == 1
    # Events buffered before the press are filtered too: the flag is checked at write time.
    await app.process_update(group_message("buffered", ME, app.bot))
    await press(app, "P:trk:0")
    assert alerts(fake_request)[-1].startswith("Tracking stopped")
    assert "Tracking in the group: off." in last_call(fake_request, PERSON).params["text"]
    await app.process_update(group_message("after", ME, app.bot))
    await app.process_update(reaction(ME, first.message.message_id, [], [emoji("👍")], app.bot))
    assert await stored(GroupMessage) == 1 and await stored(Reaction) == 0
    assert buttons(last_call(fake_request, PERSON))["Resume tracking"] == "P:trk:1"

    await press(app, "P:trk:1")
    await app.process_update(group_message("back", ME, app.bot))
    assert await stored(GroupMessage) == 2


async def test_stop_invitations_keeps_the_member_out_of_campaigns(app, db, fake_request):
    salon = await make_salon(db)
    await seed_members(db, salon, [Member(PERSON, name=PERSON_NAME), Member(7)])

    async def eligible() -> list[int]:
        async with db.begin() as session:
            frame = await candidates_frame(salon, session=session, frequency_cap=2,
                                           frequency_days=7)  # fmt: skip
        return sorted(frame["user_id"].tolist())

    assert await eligible() == [7, PERSON]
    await press(app, "P:inv:0")
    assert alerts(fake_request)[-1] == "Invitations stopped."
    assert await eligible() == [7]
    await press(app, "P:inv:1")
    assert await eligible() == [7, PERSON]


async def test_delete_asks_first_then_deletes_everything(app, db, fake_request):
    await seed_person(db)
    await app.process_update(group_message("pending in memory", ME, app.bot))
    before = await all_counts(db)
    await press(app, "P:del")
    confirm = last_call(fake_request, PERSON)
    assert buttons(confirm) == {"Yes, delete my data": "P:del:yes", "No, keep it": "P:del:no"}
    await press(app, "P:del:no")
    assert alerts(fake_request)[-1] == "Nothing was deleted."
    await app.bot_data.activity.flush()
    assert (await all_counts(db))["users"] == before["users"]

    await app.process_update(group_message("still pending", ME, app.bot))
    await press(app, "P:del:yes")
    done = last_call(fake_request, PERSON)
    assert done.params["text"].startswith("Done: I deleted everything")
    assert buttons(done) == {"Stop tracking": "P:trk:0"}
    await app.bot_data.activity.flush()  # nothing buffered brings the member back
    async with db.begin() as session:
        assert await find_anywhere(session, PERSON, (PERSON_NAME, PERSON_TEXT)) == []
    # Stop tracking after the deletion keeps only the id and the choice.
    await press(app, "P:trk:0")
    async with db.begin() as session:
        user = await session.get(User, PERSON)
        assert (user.first_name, user.tracking_opt_out) == ("", True)


async def test_forged_privacy_buttons_change_nothing(app, db, fake_request):
    await seed_person(db)
    before = await all_counts(db)
    for data in ("P:", "P:del:YES", f"P:del:yes:{PERSON}", "P:trk:2", "P:inv", "P:see "):
        await press(app, data, EN_USER)
    assert alerts(fake_request) == ["This button is no longer valid."] * 6
    assert await all_counts(db) == before
