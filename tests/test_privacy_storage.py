"""storage.privacy: export, deletion (every table, both backends), the choices, the frames."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import Integer, select

from storage.activity import add_activity
from storage.events import MessageEvent
from storage.frames import members_frame, rollups_frame, texts_frame
from storage.models import (
    ActivityDay,
    Base,
    Campaign,
    GroupMessage,
    Payment,
    Reaction,
    ReactionCount,
    Salon,
    Signup,
    User,
)
from storage.models.salons import OFFERED
from storage.payments import mark_refunded, start_refund
from storage.privacy import (
    ACCOUNTING,
    ERASURE,
    LINKS,
    PERSONAL,
    count_deleted,
    delete_user_data,
    export_user_data,
    get_privacy_choices,
    set_invitations,
    set_tracking,
)
from storage.types import utcnow
from storage.users import UserInfo
from storage.waitlist import expire_offers
from tests.privacy_helpers import (
    OTHER,
    PERSON,
    PERSON_NAME,
    PERSON_TEXT,
    all_counts,
    find_anywhere,
    outbox_for,
    seat_count,
    seed_person,
)
from tests.updates import COMMUNITY_ID

# Integer columns that hold a user id by name; each must be classified in storage.privacy.
USER_ID_NAMES = {"user_id", "target_user_id", "reply_to_user_id", "created_by"}


def test_every_user_id_column_has_a_deletion_rule():
    classified = {(c.table.name, c.name) for c in (*PERSONAL, *LINKS, *ACCOUNTING, *ERASURE)}
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, Integer):
                continue
            if column.name in USER_ID_NAMES or column.name.endswith(("_user_id", "_by")):
                assert (table.name, column.name) in classified, f"{table.name}.{column.name}"
    assert ("outbox", "chat_id") in classified  # private chats: chat id == user id


async def test_delete_leaves_the_id_in_no_column_and_keeps_other_members_counts(db):
    ids = await seed_person(db)
    needles = (PERSON_NAME, PERSON_TEXT, "zelda_quux")
    async with db.begin() as session:
        before = await find_anywhere(session, PERSON, needles)
        other_rollup = (await session.execute(
            select(ActivityDay.replies_sent, ActivityDay.reactions_received)
            .where(ActivityDay.user_id == OTHER))).one()  # fmt: skip
    # The seed covers every rule: each classified column holds the person before.
    assert {f"{c.table.name}.{c.name}" for c in (*PERSONAL, *LINKS, *ACCOUNTING)} <= set(before)
    counts_before = await all_counts(db, every_table=True)

    async with db.begin() as session:
        counts = await delete_user_data(PERSON, session=session)
    assert counts["users.id"] == 1 and counts["signups.user_id"] == 2
    assert counts["group_messages.reply_to_user_id"] == 1
    assert counts["reaction_events.target_user_id"] == 1
    # The erasure list gained the id (the one row kept, so that deletion stays final).
    after = await all_counts(db, every_table=True)
    assert after["erased_users"] == counts_before["erased_users"] + 1
    assert count_deleted(counts) == sum(counts_before.values()) - sum(after.values()) + 1

    async with db.begin() as session:
        assert await find_anywhere(session, PERSON, needles) == []
        # Other members' rows stay, with their counts, without the link.
        reply = await session.scalar(select(GroupMessage).where(GroupMessage.user_id == OTHER))
        assert reply.reply_to_user_id is None and reply.text == "ok"
        reaction = await session.scalar(select(Reaction).where(Reaction.user_id == OTHER))
        assert reaction.target_user_id is None
        assert (await session.execute(
            select(ActivityDay.replies_sent, ActivityDay.reactions_received)
            .where(ActivityDay.user_id == OTHER))).one() == other_rollup  # fmt: skip
        assert (await session.get(ReactionCount, (COMMUNITY_ID, 9001))).total == 2
        assert (await session.get(Salon, ids["salon"])).created_by is None
        assert (await session.get(Campaign, ids["campaign"])).created_by is None
        assert await session.get(User, OTHER) is not None
        # The payment stays for accounting, without the person.
        payment = await session.scalar(select(Payment))
        assert (payment.user_id, payment.amount, payment.telegram_payment_charge_id) == (
            None, 50, "stx-person")  # fmt: skip
    assert counts["payments.user_id"] == 1
    assert await outbox_for(db, PERSON) == []
    # The seat PERSON held is free again and the waitlist tick offers it to the next in line.
    assert await seat_count(db, ids["salon"]) == 0
    assert await seat_count(db, ids["past"]) == 0
    async with db.begin() as session:
        _lapsed, offered = await expire_offers(session=session, offer_window=timedelta(hours=12))
    assert [(s.user_id, s.status) for s in offered] == [(OTHER, OFFERED)]
    assert await seat_count(db, ids["salon"]) == 1


async def test_delete_of_an_unknown_user_changes_nothing(db):
    await seed_person(db)
    before = await all_counts(db)
    async with db.begin() as session:
        counts = await delete_user_data(123, session=session)
    assert count_deleted(counts) == 0
    # Nothing stored yet, but another process may still hold their events: listed all the same.
    assert await all_counts(db) == {**before, "erased_users": before["erased_users"] + 1}


async def test_export_holds_everything_about_the_person_and_nothing_of_others(db):
    await seed_person(db)
    async with db.begin() as session:
        data = await export_user_data(PERSON, session=session)
    text = json.dumps(data, ensure_ascii=False)  # JSON-ready as it is
    assert data["user"]["first_name"] == PERSON_NAME and data["user"]["username"] == "zelda_quux"
    assert [m["text"] for m in data["messages"]] == [PERSON_TEXT]
    assert [r["emoji"] for r in data["reactions"]] == ["❤"]
    assert {s["salon_title"]: s["status"] for s in data["signups"]} == {
        "Full house": "going", "Last time": "going"}  # fmt: skip
    [payment] = data["payments"]
    assert (payment["amount"], payment["currency"], payment["salon_title"]) == (
        50, "XTR", "Last time")  # fmt: skip
    rated = next(s for s in data["signups"] if s["rating"])
    assert rated["rating"] == 5 and rated["comment"].startswith("loved it")
    for key in ("memberships", "activity_daily", "member_events", "segments", "scores",
                "polls", "invitations"):  # fmt: skip
        assert data[key], key
    assert len(data["outbox"]) == 2
    assert all(row.get("user_id") in (PERSON, None) for row in data["reactions"])
    assert '"ok"' not in text  # the other member's message
    async with db.begin() as session:
        assert (await export_user_data(4242, session=session))["user"] is None


async def test_choices_are_stored_and_stopping_invitations_withdraws_queued_ones(db):
    await seed_person(db)
    async with db.begin() as session:
        assert await get_privacy_choices(PERSON, session=session) == (True, True)
        assert await set_invitations(PERSON, enabled=False, session=session) == 1
        await set_tracking(PERSON, enabled=False, session=session)
        assert await get_privacy_choices(PERSON, session=session) == (False, False)
        # Someone never seen gets a bare row so the choice is remembered.
        await set_tracking(31337, enabled=False, session=session)
        assert await get_privacy_choices(31337, session=session) == (False, True)
    statuses = {row.kind: row.status for row in await outbox_for(db, PERSON)}
    assert statuses == {"invitation": "cancelled", "notice": "pending"}
    async with db.begin() as session:
        await set_invitations(PERSON, enabled=True, session=session)
        await set_tracking(PERSON, enabled=True, session=session)
        assert await get_privacy_choices(PERSON, session=session) == (True, True)
        user = await session.get(User, PERSON)
        assert user.first_name == PERSON_NAME  # the flags changed, nothing else


async def test_frames_leave_out_members_who_stopped_tracking(db):
    await seed_person(db)
    async with db.begin() as session:
        await add_activity(
            [MessageEvent(COMMUNITY_ID, OTHER, utcnow() - timedelta(minutes=5), "text", 5, 9003,
                          text="later", user=UserInfo(OTHER, "Other"))],
            session=session, store_text=True,
        )  # fmt: skip
        everyone = (await members_frame(COMMUNITY_ID, session=session))["user_id"].tolist()
        rolled = set((await rollups_frame(COMMUNITY_ID, session=session))["user_id"])
        texts = set((await texts_frame(COMMUNITY_ID, session=session))["user_id"])
        assert PERSON in everyone and PERSON in rolled and PERSON in texts
        await set_tracking(PERSON, enabled=False, session=session)
        members = await members_frame(COMMUNITY_ID, session=session)
        rollups = await rollups_frame(COMMUNITY_ID, session=session)
        texts = await texts_frame(COMMUNITY_ID, session=session)
    assert members["user_id"].tolist() == [OTHER]
    assert set(rollups["user_id"]) == {OTHER}
    assert texts["text"].tolist() == ["ok", "later"]
    async with db.begin() as session:
        # The rows themselves stay until the member deletes them.
        stored = await session.scalar(select(Signup).where(Signup.user_id == PERSON))
        assert stored is not None


async def test_a_refund_still_due_keeps_the_id_until_it_went_through(db):
    await seed_person(db)
    async with db.begin() as session:
        payment = await session.scalar(select(Payment))
        await start_refund(payment, "left", session=session)
        await delete_user_data(PERSON, session=session)
    async with db.begin() as session:
        # refundStarPayment needs the id: kept, marked for erasure, and nowhere else.
        assert await find_anywhere(session, PERSON, ()) == ["payments.user_id"]
        payment = await session.scalar(select(Payment))
        assert (payment.user_id, payment.user_erased) == (PERSON, True)
        await mark_refunded(payment.id, session=session)
    async with db.begin() as session:
        assert await find_anywhere(session, PERSON, ()) == []
        assert (await session.scalar(select(Payment))).status == "refunded"
