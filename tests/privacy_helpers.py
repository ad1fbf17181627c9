"""Helpers for privacy and security tests: a member with rows in every table, row counts."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import JSON, BigInteger, Integer, String, Text, cast, func, select

from storage.activity import add_activity
from storage.events import MemberEvent, MessageEvent, ReactionCountEvent, ReactionEvent
from storage.feedback import add_poll
from storage.models import (
    Base,
    Campaign,
    Dialogue,
    Invitation,
    LeaderboardOptIn,
    MemberRate,
    OutboxMessage,
    Payment,
    PointEntry,
    Referral,
    Salon,
    SalonMaterials,
    SalonOrganizer,
    SalonSeries,
    Signup,
)
from storage.models.campaigns import INV_PENDING
from storage.models.salons import GOING, WAITLIST
from storage.outbox import add_outbox_message, enqueue
from storage.runs import add_run, replace_scores, replace_segments
from storage.salon_activity import add_activity as add_salon_activity
from storage.salons import NewSalon, add_salon
from storage.types import utcnow
from storage.users import (
    CommunityInfo,
    UserInfo,
    mark_started,
    upsert_communities,
    upsert_user,
)
from tests.updates import COMMUNITY_ID

# Unlike any other id, counter or timestamp in the seeded rows, so a scan cannot match by chance.
PERSON = 987_654_321_012
OTHER = 555_000_111
PERSON_NAME = "Zelda-Quux"
PERSON_TEXT = "my very private thought 7f3a"


async def table_counts(session) -> dict[str, int]:
    """Rows in every table of the schema (one statement)."""
    tables = Base.metadata.sorted_tables
    counts = [select(func.count()).select_from(t).scalar_subquery() for t in tables]
    row = (await session.execute(select(*counts))).one()
    return {table.name: count for table, count in zip(tables, row, strict=True)}


async def all_counts(db, *, every_table: bool = False) -> dict[str, int]:
    """Rows in every table, in a transaction of its own.

    Without `every_table`, the bookkeeping of several processes (PostgreSQL) is left out: the
    per-member limit's count (`member_rates`, written for any update), an organizer's open
    dialogue (`dialogues`) and the chats' admins as Telegram said (`chat_admins`, written when
    anyone's rights are checked), which are no data an update may change.
    """
    async with db.begin() as session:
        counts = await table_counts(session)
    if not every_table:
        counts.pop("member_rates", None)
        counts.pop("dialogues", None)
        counts.pop("chat_admins", None)
    return counts


async def find_anywhere(session, needle_id: int, needle_texts: tuple[str, ...]) -> list[str]:
    """`table.column` of every column holding the id (integers) or a text (strings, JSON)."""
    found = []
    for table in Base.metadata.sorted_tables:
        if table.name == "erased_users":  # the id alone, kept so that deletion stays final
            continue
        for column in table.columns:
            if isinstance(column.type, Integer):
                condition = cast(column, BigInteger) == needle_id
            elif isinstance(column.type, String | Text | JSON):
                text = cast(column, Text)
                needles = (str(needle_id), *needle_texts)
                condition = func.coalesce(text, "").contains(needles[0])
                for needle in needles[1:]:
                    condition = condition | func.coalesce(text, "").contains(needle)
            else:
                continue
            count = await session.scalar(select(func.count()).select_from(table).where(condition))
            if count:
                found.append(f"{table.name}.{column.name}")
    return found


async def seed_person(db) -> dict[str, int]:
    """PERSON with rows in every table, and OTHER whose rows point at PERSON; returns ids."""
    # Noon yesterday: the seeded activity (a few hours apart) falls on one UTC day whatever
    # the time the test runs.
    now = (utcnow() - timedelta(days=1)).replace(hour=12, minute=0, second=0, microsecond=0)
    person = UserInfo(PERSON, PERSON_NAME, "Q", "zelda_quux", "en")
    other = UserInfo(OTHER, "Other", language_code="en")
    async with db.begin() as session:
        await upsert_communities([CommunityInfo(COMMUNITY_ID, "读书会", "UTC", "zh")],
                                 session=session)  # fmt: skip
        await add_activity([
            MemberEvent(COMMUNITY_ID, PERSON, now - timedelta(days=9), user=person),
            MessageEvent(COMMUNITY_ID, PERSON, now - timedelta(hours=3), "text",
                         len(PERSON_TEXT), 9001, text=PERSON_TEXT, user=person),
            MessageEvent(COMMUNITY_ID, OTHER, now - timedelta(hours=2), "text", 2, 9002,
                         text="ok", user=other, reply_to_user_id=PERSON, reply_to=person),
            ReactionEvent(COMMUNITY_ID, OTHER, now - timedelta(hours=2), "👍", message_id=9001,
                          user=other),
            ReactionEvent(COMMUNITY_ID, PERSON, now - timedelta(hours=1), "❤", message_id=9002,
                          user=person),
            ReactionCountEvent(COMMUNITY_ID, 9001, {"🔥": 2}, now),
        ], session=session, store_text=True)  # fmt: skip
        await mark_started(PERSON, session=session)
        await mark_started(OTHER, session=session)
        # An upcoming salon PERSON created (as an organizer) with one seat PERSON holds.
        salon = await add_salon(
            NewSalon(COMMUNITY_ID, "Full house", now + timedelta(days=3), 1, created_by=PERSON),
            session=session,
        )
        salon.going_count = 1
        session.add(Signup(salon_id=salon.id, user_id=PERSON, status=GOING))
        session.add(MemberRate(user_id=PERSON, window_start=now, hits=3))
        session.add(Dialogue(chat_id=PERSON, user_id=PERSON, state=1, data=b"\x80\x04}\x94."))
        session.add(Signup(salon_id=salon.id, user_id=OTHER, status=WAITLIST,
                           waitlisted_at=now))  # fmt: skip
        past = await add_salon(NewSalon(COMMUNITY_ID, "Last time", now - timedelta(days=5), 10),
                               session=session)  # fmt: skip
        past.going_count = 1
        session.add(Signup(salon_id=past.id, user_id=PERSON, status=GOING, attended=True,
                           checked_in_at=now - timedelta(days=5), rating=5,
                           comment="loved it " + PERSON_NAME, rated_at=now))  # fmt: skip
        await session.flush()
        await add_poll("poll-person", session=session, salon_id=past.id, user_id=PERSON)
        # A recurring series PERSON started (kept, without them).
        session.add(SalonSeries(community_id=COMMUNITY_ID, rule="w:2", local_time="19:30",
                                title="Weekly", created_by=PERSON))  # fmt: skip
        # PERSON co-organizes the salon, and named OTHER too (that link is set to NULL).
        session.add(SalonOrganizer(salon_id=salon.id, user_id=PERSON, added_by=OTHER))
        session.add(SalonOrganizer(salon_id=salon.id, user_id=OTHER, added_by=PERSON))
        # What the organizers were told: their comment (deleted with them).
        await add_salon_activity(past, "comment", session=session, user_id=PERSON,
                                 detail="5|loved it " + PERSON_NAME)  # fmt: skip
        run = await add_run(COMMUNITY_ID, {}, session=session)
        await replace_scores(salon.id, run.id, [(PERSON, 0.7), (OTHER, 0.2)], session=session)
        await replace_segments(COMMUNITY_ID, run.id, {PERSON: "core", OTHER: "new"},
                               session=session)  # fmt: skip
        campaign = Campaign(salon_id=salon.id, community_id=COMMUNITY_ID, created_by=PERSON,
                            holdout_share=0.1, seed=1, wave_hours=24, spread_hours=12,
                            window_ends_at=now + timedelta(days=2))  # fmt: skip
        session.add(campaign)
        await session.flush()
        invitation_outbox = await add_outbox_message(
            f"inv:{salon.id}:{PERSON}", kind="invitation", chat_id=PERSON,
            payload={"chat_id": PERSON, "text": f"Hi {PERSON_NAME}"}, session=session,
            user_id=PERSON, salon_id=salon.id,
        )  # fmt: skip
        session.add(Invitation(campaign_id=campaign.id, salon_id=salon.id, user_id=PERSON,
                               wave=1, probability=0.7, status=INV_PENDING,
                               outbox_id=invitation_outbox))  # fmt: skip
        # A payment for the past salon (accounting: kept without the person).
        session.add(Payment(community_id=COMMUNITY_ID, salon_id=past.id, user_id=PERSON,
                            currency="XTR", amount=50, telegram_payment_charge_id="stx-person",
                            provider_payment_charge_id="", status="paid",
                            paid_at=now - timedelta(days=6)))  # fmt: skip
        # A message to the private chat without user_id (chat id == user id).
        await enqueue("notice:person", kind="notice", chat_id=PERSON,
                      payload={"chat_id": PERSON, "text": "hello"}, session=session)  # fmt: skip
        # Points, a referral each way, a leaderboard opt-in, materials PERSON attached.
        session.add(PointEntry(source_key="a:person", community_id=COMMUNITY_ID, user_id=PERSON,
                               kind="attended", points=10, salon_id=past.id))  # fmt: skip
        session.add(Referral(referred_user_id=PERSON, referrer_user_id=OTHER))
        session.add(LeaderboardOptIn(community_id=COMMUNITY_ID, user_id=PERSON))
        session.add(SalonMaterials(salon_id=past.id, url="https://example.org/s", added_by=PERSON))
        await session.flush()
        await upsert_user(UserInfo(OTHER + 1, "Third", language_code="en"), session=session)
        session.add(Referral(referred_user_id=OTHER + 1, referrer_user_id=PERSON))
        return {"salon": salon.id, "past": past.id, "campaign": campaign.id}


async def seat_count(db, salon_id: int) -> int:
    """The salon's going_count."""
    async with db.begin() as session:
        return (await session.get(Salon, salon_id, populate_existing=True)).going_count


async def outbox_for(db, chat_id: int) -> list[OutboxMessage]:
    """Outbox rows to one chat."""
    async with db.begin() as session:
        query = select(OutboxMessage).where(OutboxMessage.chat_id == chat_id)
        return list(await session.scalars(query))
