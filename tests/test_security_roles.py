"""Every organizer command and button, sent by a member, is refused and changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Salon, Signup
from storage.models.salons import SALON_CANCELLED, SALON_DRAFT
from tests.campaign_helpers import Member, seed_members
from tests.conftest import make_config
from tests.organizer import expire_admin_lists, local_in, stored_salon, stored_signup, text_of
from tests.privacy_helpers import all_counts
from tests.updates import COMMUNITY_ID, EN_USER, GROUP, ORGANIZER, callback, message

MEMBER = {**EN_USER, "id": 4711, "first_name": "Mallory"}
ANSWERED = ("sendMessage", "answerCallbackQuery", "editMessageText")
REFUSALS = (
    "Only organizers of a community can do that.",
    "That salon does not exist, or you do not organize its community.",
    "This button is no longer valid.",
)


@pytest.fixture
def config(db_url):
    """No command limit here: every refusal must come from the role check, not the throttle."""
    return make_config(db_url, limits={"commands_per_user": 10_000, "window_seconds": 1})


async def snapshot(db) -> tuple:
    """Row counts of every table and what organizers could change on salons and signups."""
    async with db.begin() as session:
        salons = (await session.execute(
            select(Salon.id, Salon.status, Salon.title, Salon.starts_at, Salon.location,
                   Salon.capacity, Salon.going_count, Salon.announcement_message_id)
            .order_by(Salon.id))).all()  # fmt: skip
        signups = (await session.execute(
            select(Signup.id, Signup.status, Signup.attended, Signup.checked_in_at)
            .order_by(Signup.id))).all()  # fmt: skip
    return await all_counts(db), salons, signups


def organizer_actions(salon: int, draft: int, attendee: int) -> list[str]:
    """Every organizer command and every S:/I:pv|go|no button form, with real ids."""
    when = text_of(local_in(5))
    return [
        "/newsalon",
        f"/newsalon Forged salon | {when} | 10 | Somewhere | tag",
        "/salons",
        "/invite",
        "/invite {code}",
        "/invite {code} min=0.1 max=5 segments=core",
        "/stats",
        "/stats 7",
        "/stats {code}",
        "/export",
        "S:l",
        f"S:m:{salon}",
        f"S:pub:{draft}",
        f"S:drop:{draft}",
        f"S:x:{salon}",
        f"S:X:{salon}",
        f"S:gy:{salon}",
        f"S:gn:{salon}",
        f"S:a:{salon}",
        f"S:k:{salon}:0",
        f"S:t:{salon}:{attendee}:0",
        f"S:et:{salon}",
        f"S:en:{salon}",
        f"S:el:{salon}",
        f"S:ec:{salon}",
        f"S:n:{COMMUNITY_ID}",
        "S:skip:3",
        f"I:pv:{salon}:0:0:0",
        f"I:go:{salon}:0:0:0",
        f"I:no:{salon}",
    ]


async def test_member_is_refused_every_organizer_command_and_button(app, db, fake_request):
    salon = await stored_salon(db)
    draft = await stored_salon(db, status=SALON_DRAFT, title="Draft")
    attendee = {**EN_USER, "id": 5150}
    await stored_signup(db, salon.id, attendee)
    await seed_members(db, salon, [Member(u) for u in range(6001, 6011)])
    before = await snapshot(db)

    for action in organizer_actions(salon.id, draft.id, attendee["id"]):
        action = action.format(code=salon.short_code)
        calls = len(fake_request.calls)
        if action.startswith("/"):
            await app.process_update(message(action, MEMBER, bot=app.bot))
        else:
            await app.process_update(callback(action, MEMBER, bot=app.bot))
        # A dialogue must not have started: a follow-up answer changes nothing either.
        await app.process_update(message("New title 2030-01-01 10:00", MEMBER, bot=app.bot))
        new = fake_request.calls[calls:]
        assert any(c.method in ANSWERED for c in new), action
        sent = [c.params.get("text", "") for c in new if c.method in ANSWERED]
        assert sent and sent[0] in REFUSALS, (action, sent)
        assert not any(salon.short_code in t or salon.checkin_code in t for t in sent), action
        assert not fake_request.calls_to("sendMessage", chat_id=GROUP["id"]), action
        assert await snapshot(db) == before, action

    # The same button from the organizer does act: the test can tell refusal from success.
    await app.process_update(callback(f"S:X:{salon.id}", ORGANIZER, bot=app.bot))
    async with db.begin() as session:
        assert (await session.get(Salon, salon.id, populate_existing=True)).status == (
            SALON_CANCELLED
        )


async def test_group_admin_is_re_checked_on_every_press(app, db, fake_request):
    salon = await stored_salon(db)
    fake_request.api.admins[GROUP["id"]] = [MEMBER["id"]]
    await app.process_update(callback(f"S:m:{salon.id}", MEMBER, bot=app.bot))
    assert fake_request.calls_to("editMessageText") or fake_request.calls_to("sendMessage")
    # Demoted: the cached admin list expires and the next press is refused.
    fake_request.api.admins[GROUP["id"]] = []
    await expire_admin_lists(db)
    before = await snapshot(db)
    await app.process_update(callback(f"S:X:{salon.id}", MEMBER, bot=app.bot))
    assert await snapshot(db) == before
    answers = fake_request.calls_to("answerCallbackQuery")
    assert answers[-1].params["text"] == "Only organizers of a community can do that."
