"""Co-organizers: named by a community organizer, they manage that one salon and no other."""

from __future__ import annotations

from sqlalchemy import select

from bot.salons.digest import tell_organizers
from storage.models import OutboxMessage, SalonOrganizer
from storage.users import UserInfo, upsert_user
from tests.organizer import (
    ZH_ORGANIZER,
    alerts,
    buttons,
    last_call,
    salons_in,
    stored_salon,
)
from tests.updates import EN_USER, ORGANIZER, callback_query, message, reply

ME = ORGANIZER["id"]
HELPER = {"id": 2001, "is_bot": False, "first_name": "Lin", "username": "LinHelps",
          "language_code": "zh-hans"}  # fmt: skip


async def press(app, data, user=ORGANIZER):
    await app.process_update(callback_query(data, user, bot=app.bot))


async def _known(db, user):
    async with db.begin() as session:
        info = UserInfo(user["id"], user["first_name"], username=user.get("username"),
                        language_code=user["language_code"])  # fmt: skip
        await upsert_user(info, session=session)


async def _outbox(db, chat_id):
    async with db.begin() as session:
        query = select(OutboxMessage).where(OutboxMessage.chat_id == chat_id)
        return list(await session.scalars(query.order_by(OutboxMessage.id)))


async def _name_helper(app, fake_request, salon, who=ORGANIZER, reference="@linhelps"):
    await press(app, f"O:co:{salon.id}", who)
    prompt = last_call(fake_request, ME)
    await app.process_update(reply(reference, who, prompt.result["message_id"], bot=app.bot))
    return prompt


async def test_a_named_co_organizer_manages_that_salon_only(app, fake_request, db):
    salon = await stored_salon(db, title="读书会：三体")
    other = await stored_salon(db, title="Other salon")
    await _known(db, HELPER)
    await press(app, f"S:m:{salon.id}")
    assert buttons(last_call(fake_request, ME))["🤝 Co-organizers"] == f"O:co:{salon.id}"
    prompt = await _name_helper(app, fake_request, salon, reference="@nobody")
    assert prompt.params["text"].startswith("To name a co-organizer of «读书会：三体»")
    assert fake_request.sent_texts(ME)[-1].startswith("I do not know “@nobody”.")
    await app.process_update(reply("@LINHELPS", ORGANIZER, prompt.result["message_id"],
                                   bot=app.bot))  # fmt: skip
    assert fake_request.sent_texts(ME)[-1] == "Lin is now a co-organizer of «读书会：三体»."
    [notice] = await _outbox(db, HELPER["id"])
    assert (
        notice.payload["text"] == "🤝 你现在是「读书会：三体」的协办组织者：发送 /salons 即可管理。"
    )
    # The helper sees and manages this salon, and only it.
    await app.process_update(message("/salons", HELPER, bot=app.bot))
    listing = last_call(fake_request, HELPER["id"])
    assert list(buttons(listing).values()) == [f"S:m:{salon.id}"]
    await press(app, f"S:m:{other.id}", HELPER)
    assert alerts(fake_request)[-1] == "只有社群的组织者才能这样做。"
    await press(app, f"S:el:{salon.id}", HELPER)
    await app.process_update(message("北京市朝阳区建国路 1 号", HELPER, bot=app.bot))
    assert [s.location for s in await salons_in(db)] == ["北京市朝阳区建国路 1 号", "书店"]
    # ...but cannot name others.
    await press(app, f"O:co:{salon.id}", HELPER)
    assert alerts(fake_request)[-1].startswith("这个沙龙不存在，或者你不是它所在社群的组织者")
    # Removed: the salon is no longer theirs.
    await press(app, f"O:co:{salon.id}", ZH_ORGANIZER)
    listing = [c for c in fake_request.calls_to("sendMessage", chat_id=ME)][-2]
    assert listing.params["text"] == "「读书会：三体」的协办组织者：Lin。点击即可移除。"
    await press(app, buttons(listing)["✖️ Lin"], ZH_ORGANIZER)
    async with db.begin() as session:
        assert list(await session.scalars(select(SalonOrganizer))) == []
    await press(app, f"S:m:{salon.id}", HELPER)
    assert alerts(fake_request)[-1] == "只有社群的组织者才能这样做。"


async def test_co_organizers_get_the_salons_notes_and_digest(app, fake_request, db):
    salon = await stored_salon(db, capacity=1)
    await _known(db, HELPER)
    await _name_helper(app, fake_request, salon)
    await app.process_update(message(f"/join {salon.short_code}", EN_USER, bot=app.bot))
    await tell_organizers(db, app.bot_data.config)  # the test community's default: daily
    [named, full] = await _outbox(db, HELPER["id"])
    assert full.kind == "digest" and full.payload["text"].startswith("🈵 「读书会：三体」已满")
    assert [r.kind for r in await _outbox(db, ME)] == ["digest"]
