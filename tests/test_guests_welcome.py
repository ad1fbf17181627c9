"""The organizer's "Welcome guests" switch on a salon: outsiders may join it, and only it."""

from __future__ import annotations

from datetime import timedelta

from storage.models import Salon
from storage.models.salons import SALON_CANCELLED, SALON_DRAFT
from tests.organizer import alerts, buttons
from tests.payment_helpers import signups
from tests.salon_helpers import make_salon, member
from tests.test_members_only import MEMBERS_ONLY, outside
from tests.updates import ORGANIZER, callback, message

GUEST, LATE_GUEST, MEMBER = member(5201), member(5202), member(5203)


async def _welcome(db, salon_id: int) -> bool:
    async with db.begin() as session:
        return (await session.get(Salon, salon_id, populate_existing=True)).guests_welcome


def _menu(fake_request) -> tuple[str, dict[str, str]]:
    call = fake_request.calls_to("editMessageText")[-1]
    return call.params["text"], buttons(call)


async def test_the_organizer_welcomes_guests_and_closes_the_salon_again(app, fake_request, db):
    salon = await make_salon(db, title="Open day")
    outside(app, GUEST, LATE_GUEST)
    await app.process_update(callback(f"S:m:{salon.id}", ORGANIZER, bot=app.bot))
    text, menu = _menu(fake_request)
    assert "🔒 Members of" in text and menu["🌐 Welcome guests"] == f"S:gy:{salon.id}"

    await app.process_update(callback(f"S:gy:{salon.id}", ORGANIZER, bot=app.bot))
    text, menu = _menu(fake_request)
    assert await _welcome(db, salon.id)
    assert f"https://t.me/salon_test_bot?start=j_{salon.short_code}" in text
    assert "🌐 Guests welcome" in text and menu["🔒 Members only"] == f"S:gn:{salon.id}"
    await app.process_update(message(f"/start j_{salon.short_code}", GUEST, bot=app.bot))
    assert await signups(db, salon.id) == ([(GUEST["id"], "going")], 1)

    await app.process_update(callback(f"S:gn:{salon.id}", ORGANIZER, bot=app.bot))
    text, _menu_now = _menu(fake_request)
    assert not await _welcome(db, salon.id)
    assert text.startswith("Members only again. Guests who already signed up keep their seats.")
    await app.process_update(message(f"/join {salon.short_code}", LATE_GUEST, bot=app.bot))
    assert fake_request.sent_texts(LATE_GUEST["id"])[-1] == MEMBERS_ONLY
    assert await signups(db, salon.id) == ([(GUEST["id"], "going")], 1)  # the guest stays


async def test_the_switch_speaks_chinese_to_a_chinese_organizer(app, fake_request, db):
    organizer = {**ORGANIZER, "language_code": "zh-hans"}
    salon = await make_salon(db)
    await app.process_update(callback(f"S:m:{salon.id}", organizer, bot=app.bot))
    await app.process_update(callback(f"S:gy:{salon.id}", organizer, bot=app.bot))
    text, menu = _menu(fake_request)
    [label] = [label for label, data in menu.items() if data == f"S:gn:{salon.id}"]
    assert label.startswith("🔒") and "Members only" not in label
    assert "Guests are welcome" not in text and salon.short_code in text


async def test_a_draft_is_open_to_guests_once_published(app, fake_request, db):
    draft = await make_salon(db, status=SALON_DRAFT)
    await app.process_update(callback(f"S:gy:{draft.id}", ORGANIZER, bot=app.bot))
    text, menu = _menu(fake_request)
    assert await _welcome(db, draft.id)
    assert text.startswith("Guests will be welcome once it is published.")
    assert menu["🔒 Members only"] == f"S:gn:{draft.id}" and menu["✅ Publish"]


async def test_no_one_else_and_no_old_salon_can_flip_it(app, fake_request, db):
    salon = await make_salon(db)
    cancelled = await make_salon(db, status=SALON_CANCELLED)
    past = await make_salon(db, starts_in=-timedelta(hours=1))
    for data, user in [(f"S:gy:{salon.id}", MEMBER), (f"S:gy:{cancelled.id}", ORGANIZER),
                       (f"S:gy:{past.id}", ORGANIZER), ("S:gy:987654", ORGANIZER),
                       ("S:gy", ORGANIZER), (f"S:gy:{salon.id}:1", ORGANIZER)]:  # fmt: skip
        await app.process_update(callback(data, user, bot=app.bot))
    assert alerts(fake_request) == [
        "Only organizers of a community can do that.",
        "This salon is cancelled or has started; it cannot be edited.",
        "This salon is cancelled or has started; it cannot be edited.",
        "That salon does not exist, or you do not organize its community.",
        "This button is no longer valid.",
        "This button is no longer valid.",
    ]
    for s in (salon, cancelled, past):
        assert not await _welcome(db, s.id)
