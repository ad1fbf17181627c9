"""Invitations as members see them: answers to the buttons, group counts, what it says."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import GroupMessage, Invitation, OutboxMessage, Salon, Signup, User
from storage.models.campaigns import INV_CANCELLED, INV_PENDING
from storage.models.outbox import CANCELLED, PENDING
from storage.models.salons import DECLINED, GOING, RESPONDED, SIGNED_UP
from storage.signups import get_signup
from storage.types import split_tags, utcnow

# Responses that count as a signup when measuring uplift (a member who later left did sign up).


async def get_invitation(invitation_id: int, *, session: AsyncSession) -> Invitation | None:
    """The invitation with this id."""
    return await session.get(Invitation, invitation_id)


async def get_member_invitation(
    salon_id: int, user_id: int, *, session: AsyncSession
) -> Invitation | None:
    """The member's invitation to this salon (never a withheld holdout row)."""
    query = select(Invitation).where(
        Invitation.salon_id == salon_id,
        Invitation.user_id == user_id,
        Invitation.holdout.is_(False),
    )
    return (await session.scalars(query)).first()


async def set_response(
    invitation: Invitation, response: str, *, session: AsyncSession, now: datetime | None = None
) -> None:
    """Record what the member answered (joined, declined, stopped)."""
    invitation.response, invitation.responded_at = response, now or utcnow()
    await session.flush()


async def add_decline(
    salon_id: int,
    user_id: int,
    *,
    session: AsyncSession,
    source: str = "invitation",
    now: datetime | None = None,
) -> Signup | None:
    """Record "not this time" as a `declined` signup; an active signup is left alone (None)."""
    now = now or utcnow()
    signup = await get_signup(salon_id, user_id, session=session)
    if signup is not None and signup.status in SIGNED_UP:
        return None
    if signup is None:
        signup = Signup(salon_id=salon_id, user_id=user_id, status=DECLINED, source=source,
                        created_at=now, responded_at=now)  # fmt: skip
        session.add(signup)
    else:
        signup.status, signup.responded_at = DECLINED, now
    await session.flush()
    return signup


async def stop_invitations(user_id: int, *, session: AsyncSession) -> int:
    """Opt the member out of invitations and withdraw those still queued; returns how many."""
    await session.execute(update(User).where(User.id == user_id).values(invites_opt_out=True))
    queued = select(Invitation.outbox_id).where(
        Invitation.user_id == user_id, Invitation.status == INV_PENDING
    )
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(queued), OutboxMessage.status == PENDING)
        .values(status=CANCELLED)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Invitation)
        .where(Invitation.user_id == user_id, Invitation.status == INV_PENDING)
        .values(status=INV_CANCELLED)
    )
    return result.rowcount


@dataclass(frozen=True)
class GroupCounts:
    """Members of one group (invited or holdout) and how many of them signed up."""

    members: int
    signups: int


async def count_uplift_groups(
    campaign_id: int, *, session: AsyncSession
) -> tuple[GroupCounts, GroupCounts]:
    """(invited, holdout): everyone assigned to each group and their signups to the salon.

    Intention to treat: every member chosen to be invited counts, delivered or not, so the
    two groups stay comparable (both were drawn from the same ranks at random).
    """
    signed = (
        select(Signup.id)
        .where(
            Signup.salon_id == Invitation.salon_id,
            Signup.user_id == Invitation.user_id,
            Signup.status.in_(RESPONDED),
        )
        .exists()
    )
    rows = await session.execute(
        select(Invitation.holdout, func.count(), func.count().filter(signed))
        .where(Invitation.campaign_id == campaign_id)
        .group_by(Invitation.holdout)
    )
    groups = {bool(h): GroupCounts(int(n), int(s)) for h, n, s in rows}
    empty = GroupCounts(0, 0)
    return groups.get(False, empty), groups.get(True, empty)


@dataclass(frozen=True)
class AttendedSalon:
    """A past salon of the community that a member came to."""

    title: str
    tags: frozenset[str]
    starts_at: datetime


@dataclass
class MemberFacts:
    """What an invitation may honestly say about a member, and how to address them."""

    first_name: str
    language_code: str | None
    attended: list[AttendedSalon] = field(default_factory=list)
    talked: dict[str, int] = field(default_factory=dict)


TALK_WINDOW = timedelta(days=90)


def _tags(text: str) -> frozenset[str]:
    return frozenset(t.lower() for t in split_tags(text))


async def list_member_facts(
    salon: Salon, user_ids: list[int], *, session: AsyncSession, now: datetime | None = None
) -> dict[int, MemberFacts]:
    """Names, languages and the past salons of the community each member came to."""
    now = now or utcnow()
    facts: dict[int, MemberFacts] = {}
    for start in range(0, len(user_ids), 500):
        chunk = user_ids[start : start + 500]
        users = await session.execute(
            select(User.id, User.first_name, User.language_code).where(User.id.in_(chunk))
        )
        for user_id, first_name, language_code in users:
            facts[user_id] = MemberFacts(first_name or "", language_code)
        past = await session.execute(
            select(Signup.user_id, Salon.title, Salon.tags, Salon.starts_at)
            .join(Salon, Salon.id == Signup.salon_id)
            .where(
                Signup.user_id.in_(chunk),
                Salon.community_id == salon.community_id,
                Salon.id != salon.id,
                Salon.starts_at < now,
                (Signup.attended.is_(True))
                | (Signup.attended.is_(None) & (Signup.status == GOING)),
            )
        )
        for user_id, title, tags, starts_at in past:
            if user_id in facts:
                facts[user_id].attended.append(AttendedSalon(title, _tags(tags), starts_at))
        await _count_mentions(salon, chunk, facts, session=session, since=now - TALK_WINDOW)
    return facts


async def _count_mentions(
    salon: Salon,
    user_ids: list[int],
    facts: dict[int, MemberFacts],
    *,
    session: AsyncSession,
    since: datetime,
) -> None:
    """How many of each member's stored messages mention each of the salon's tags.

    Only text kept under `[privacy] store_text` is searched; without it nothing is counted.
    """
    for tag in sorted(_tags(salon.tags)):
        rows = await session.execute(
            select(GroupMessage.user_id, func.count())
            .where(
                GroupMessage.community_id == salon.community_id,
                GroupMessage.user_id.in_(user_ids),
                GroupMessage.sent_at >= since,
                GroupMessage.text.is_not(None),
                func.lower(GroupMessage.text).contains(tag, autoescape=True),
            )
            .group_by(GroupMessage.user_id)
        )
        for user_id, count in rows:
            if user_id in facts:
                facts[user_id].talked[tag] = count
