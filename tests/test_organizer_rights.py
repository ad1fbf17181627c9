"""Organizer rights follow Telegram: a demoted admin loses them at once, not ten minutes later."""

from __future__ import annotations

from storage.models import Salon
from storage.models.salons import SALON_CANCELLED, SALON_PUBLISHED
from tests.organizer import alerts, stored_salon
from tests.updates import COMMUNITY_ID, EN_USER, callback, chat_member, message

ADMIN = EN_USER
REFUSED = "Only organizers of a community can do that."


async def _status(db, salon_id: int) -> str:
    async with db.begin() as session:
        return (await session.get(Salon, salon_id, populate_existing=True)).status


async def test_a_demoted_admin_cannot_cancel_or_export_while_cached(app, db, fake_request):
    salon = await stored_salon(db)
    fake_request.api.admins[COMMUNITY_ID] = [ADMIN["id"]]
    await app.process_update(callback(f"S:m:{salon.id}", ADMIN, bot=app.bot))
    assert REFUSED not in alerts(fake_request)
    # Demoted in Telegram; the bot missed the update and its cache still says admin.
    fake_request.api.admins[COMMUNITY_ID] = []
    await app.process_update(callback(f"S:X:{salon.id}", ADMIN, bot=app.bot))
    assert alerts(fake_request)[-1] == REFUSED
    assert await _status(db, salon.id) == SALON_PUBLISHED
    await app.process_update(message("/export", ADMIN, bot=app.bot))
    assert fake_request.sent_texts(ADMIN["id"])[-1] == REFUSED
    assert not fake_request.calls_to("sendDocument")


async def test_an_admin_still_in_office_cancels_after_the_check(app, db, fake_request):
    salon = await stored_salon(db)
    fake_request.api.admins[COMMUNITY_ID] = [ADMIN["id"]]
    await app.process_update(callback(f"S:X:{salon.id}", ADMIN, bot=app.bot))
    assert await _status(db, salon.id) == SALON_CANCELLED
    assert fake_request.calls_to("getChatMember", user_id=ADMIN["id"])


async def test_a_chat_member_update_about_an_admin_refreshes_the_cache(app, db, fake_request):
    salon = await stored_salon(db)
    fake_request.api.admins[COMMUNITY_ID] = [ADMIN["id"]]
    await app.process_update(callback(f"S:m:{salon.id}", ADMIN, bot=app.bot))
    fake_request.api.admins[COMMUNITY_ID] = []
    await app.process_update(chat_member(ADMIN, "administrator", "member", bot=app.bot,
                                         old_extra=ADMIN_RIGHTS))  # fmt: skip
    await app.process_update(callback(f"S:m:{salon.id}", ADMIN, bot=app.bot))
    assert alerts(fake_request)[-1] == REFUSED
    # Promoted: the next press sees it without waiting for the cache to expire.
    fake_request.api.admins[COMMUNITY_ID] = [ADMIN["id"]]
    await app.process_update(chat_member(ADMIN, "member", "administrator", bot=app.bot,
                                         new_extra=ADMIN_RIGHTS))  # fmt: skip
    before = len(alerts(fake_request))
    await app.process_update(callback(f"S:m:{salon.id}", ADMIN, bot=app.bot))
    assert REFUSED not in alerts(fake_request)[before:]


ADMIN_RIGHTS = {
    "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True,
    "can_delete_messages": True, "can_manage_video_chats": True, "can_restrict_members": True,
    "can_promote_members": False, "can_change_info": True, "can_invite_users": True,
    "can_post_stories": False, "can_edit_stories": False, "can_delete_stories": False,
}  # fmt: skip
