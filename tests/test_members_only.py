"""Salons are for the community's current members: outsiders, removed members, forged ids."""

from __future__ import annotations

from sqlalchemy import select, update

from storage.models import Membership, Salon
from storage.models.salons import SALON_DRAFT
from tests.conftest import make_config, started_app
from tests.payment_helpers import invoices, paid_salon, pre_checkout, signups
from tests.salon_helpers import make_salon, member
from tests.updates import (
    COMMUNITY_ID,
    GROUP,
    ZH_USER,
    callback,
    chat_member,
    group_message,
    message,
)

OUTSIDER = member(5001)
MEMBER = member(5002)
MEMBERS_ONLY = "This salon is for members of its community only."


def outside(app, *users: dict) -> None:
    """Telegram answers getChatMember: these people are not in the group."""
    app.bot.request.api.members.setdefault(COMMUNITY_ID, {}).update(
        {u["id"]: "left" for u in users}
    )


async def test_an_outsider_sees_no_salons_and_cannot_take_the_last_seat(app, fake_request, db):
    salon = await make_salon(db, capacity=1)
    outside(app, OUTSIDER)
    await app.process_update(message("/events", OUTSIDER, bot=app.bot))
    assert fake_request.sent_texts(OUTSIDER["id"])[-1].startswith("There are no upcoming salons")
    await app.process_update(message(f"/join {salon.short_code}", OUTSIDER, bot=app.bot))
    await app.process_update(callback(f"J:{salon.id}", OUTSIDER, bot=app.bot))
    await app.process_update(message(f"/start j_{salon.short_code}", OUTSIDER, bot=app.bot))
    assert fake_request.sent_texts(OUTSIDER["id"])[-3:] == [MEMBERS_ONLY] * 3
    [alert] = fake_request.calls_to("answerCallbackQuery")
    assert alert.params["text"] == MEMBERS_ONLY and alert.params["show_alert"] is True
    assert await signups(db, salon.id) == ([], 0)
    assert fake_request.calls_to("getChatMember", chat_id=COMMUNITY_ID, user_id=OUTSIDER["id"])
    # A member (Telegram says so) takes the seat, and is remembered as a member.
    await app.process_update(message(f"/join {salon.short_code}", MEMBER, bot=app.bot))
    assert await signups(db, salon.id) == ([(MEMBER["id"], "going")], 1)
    async with db.begin() as session:
        row = await session.get(Membership, (COMMUNITY_ID, MEMBER["id"]))
    assert row is not None and row.is_member


async def test_the_refusal_speaks_the_members_language(app, fake_request, db):
    salon = await make_salon(db)
    outside(app, ZH_USER)
    await app.process_update(message(f"/join {salon.short_code}", ZH_USER, bot=app.bot))
    [text] = fake_request.sent_texts(ZH_USER["id"])
    assert text != MEMBERS_ONLY and "成员" in text


async def test_a_member_seen_in_the_group_is_not_asked_about(app, fake_request, db):
    salon = await make_salon(db)
    outside(app, MEMBER)  # Telegram would say no: the group's own word counts
    await app.process_update(group_message("hello", MEMBER, bot=app.bot))
    await app.bot_data.activity.flush()
    await app.process_update(message("/events", MEMBER, bot=app.bot))
    assert salon.short_code in fake_request.sent_texts(MEMBER["id"])[-1]
    assert not fake_request.calls_to("getChatMember")


async def test_a_removed_member_loses_access(app, fake_request, db):
    salon = await make_salon(db)
    await app.process_update(group_message("hello", MEMBER, bot=app.bot))
    await app.process_update(chat_member(MEMBER, "member", "left", bot=app.bot))
    await app.bot_data.activity.flush()
    outside(app, MEMBER)
    await app.process_update(message("/events", MEMBER, bot=app.bot))
    assert fake_request.sent_texts(MEMBER["id"])[-1].startswith("There are no upcoming salons")
    await app.process_update(message(f"/join {salon.short_code}", MEMBER, bot=app.bot))
    assert fake_request.sent_texts(MEMBER["id"])[-1] == MEMBERS_ONLY
    assert await signups(db, salon.id) == ([], 0)


async def test_internal_ids_are_not_codes(app, fake_request, db):
    salon = await make_salon(db, source_id="7")
    await app.process_update(message(f"/join {salon.id}", MEMBER, bot=app.bot))
    await app.process_update(message("/join 7", MEMBER, bot=app.bot))
    assert all(t.startswith("I could not find that salon") for t in
               fake_request.sent_texts(MEMBER["id"]))  # fmt: skip
    assert await signups(db, salon.id) == ([], 0)


async def test_a_draft_id_pressed_in_the_group_reveals_nothing(app, fake_request, db):
    draft = await make_salon(db, status=SALON_DRAFT)
    published = await make_salon(db)
    await app.process_update(callback(f"J:{draft.id}", MEMBER, chat=GROUP, bot=app.bot))
    await app.process_update(callback(f"J:{published.id}", MEMBER, chat=GROUP, bot=app.bot))
    urls = [c.params["url"] for c in fake_request.calls_to("answerCallbackQuery")]
    assert urls == ["https://t.me/salon_test_bot?start=events",
                    f"https://t.me/salon_test_bot?start=j_{published.short_code}"]  # fmt: skip


async def test_guests_welcome_salons_and_open_communities(app, fake_request, db, db_url):
    closed = await make_salon(db, title="Members night")
    public = await make_salon(db, title="Open day")
    async with db.begin() as session:
        await session.execute(
            update(Salon).where(Salon.id == public.id).values(guests_welcome=True)
        )
    outside(app, OUTSIDER)
    await app.process_update(message("/events", OUTSIDER, bot=app.bot))
    text = fake_request.sent_texts(OUTSIDER["id"])[-1]
    assert "Open day" in text and "Members night" not in text
    await app.process_update(message(f"/join {public.short_code}", OUTSIDER, bot=app.bot))
    assert await signups(db, public.id) == ([(OUTSIDER["id"], "going")], 1)
    communities = make_config(db_url).model_dump()["communities"]
    communities[0]["open_to_guests"] = True
    async with started_app(make_config(db_url, communities=communities), fake_request) as other:
        other.bot.request.api.members[COMMUNITY_ID] = {OUTSIDER["id"]: "left"}
        await other.process_update(message(f"/join {closed.short_code}", OUTSIDER, bot=other.bot))
    assert await signups(db, closed.id) == ([(OUTSIDER["id"], "going")], 1)


async def test_a_waitlist_offer_and_a_payment_recheck_membership(app, fake_request, db):
    salon = await make_salon(db, capacity=1)
    first, second = member(5101), member(5102)
    await app.process_update(message(f"/join {salon.short_code}", first, bot=app.bot))
    await app.process_update(message(f"/join {salon.short_code}", second, bot=app.bot))
    await app.process_update(message(f"/leave {salon.short_code}", first, bot=app.bot))
    assert (second["id"], "offered") in (await signups(db, salon.id))[0]
    # Removed from the group before claiming the seat offered to them.
    async with db.begin() as session:
        await session.execute(update(Membership).where(Membership.user_id == second["id"])
                              .values(is_member=False))  # fmt: skip
    outside(app, second)
    await app.process_update(callback(f"C:{salon.id}", second, bot=app.bot))
    assert fake_request.sent_texts(second["id"])[-1] == MEMBERS_ONLY
    assert (second["id"], "offered") in (await signups(db, salon.id))[0]

    paid = await paid_salon(db)
    payer = member(5103)
    await app.process_update(message(f"/join {paid.short_code}", payer, bot=app.bot))
    [invoice] = invoices(fake_request, payer)
    async with db.begin() as session:
        await session.execute(update(Membership).where(Membership.user_id == payer["id"])
                              .values(is_member=False))  # fmt: skip
    outside(app, payer)
    answer = await pre_checkout(app, fake_request, payer, invoice)
    assert answer["ok"] is False and answer["error_message"] == MEMBERS_ONLY


async def test_membership_rows_are_what_the_group_said(db, app):
    """The getChatMember answer is remembered, so the next command asks Telegram nothing."""
    salon = await make_salon(db)
    await app.process_update(message(f"/join {salon.short_code}", MEMBER, bot=app.bot))
    await app.process_update(message("/mysalons", MEMBER, bot=app.bot))
    calls = app.bot.request.api.calls_to("getChatMember")
    assert len(calls) == 1
    async with db.begin() as session:
        rows = list(await session.scalars(select(Membership.user_id)))
    assert rows == [MEMBER["id"]]
