"""Organizers are told what happens: a digest of their salons' activity, and immediate notes.

Signups, waitlist joins, leaves, seats taken from the waitlist and payments are recorded as
they happen (storage/salon_activity.py) and collected into one digest per organizer at the
community's cadence (`digest`: each, hourly, daily at `digest_hour`, off). A salon that fills
and a member's feedback comment are told at once, each in its own note. Refunds that keep
failing are told by bot/seats/refund_notices.py. Everything goes through the outbox; the tick
is idempotent (rows are marked reported in the transaction that queues their messages).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.common.config import CommunityConfig, Config
from bot.common.i18n import N_, pick_language, translations
from bot.seats.money import format_amount
from storage.co_organizers import list_co_organizers
from storage.models.digest import FULL, JOINED, LEFT, MOVED_UP, PAID, WAITLISTED
from storage.outbox import enqueue
from storage.salon_activity import ActivityRow, list_unreported, mark_reported
from storage.types import utcnow
from storage.users import get_user

KIND_DIGEST = "digest"
MAX_NAMES = 10
LINES = {
    JOINED: ("🙋", N_("Signed up ({count}): {names}")),
    WAITLISTED: ("⏳", N_("Joined the waitlist ({count}): {names}")),
    MOVED_UP: ("⬆️", N_("Took a freed seat from the waitlist ({count}): {names}")),
    PAID: ("💰", N_("Paid ({count}): {names}")),
    LEFT: ("👋", N_("Left ({count}): {names}")),
}


def digest_boundary(community: CommunityConfig, now: datetime) -> datetime | None:
    """Activity before this moment is due in the community's digest (None: digests are off)."""
    if community.digest == "off":
        return None
    if community.digest == "each":
        return now + timedelta(microseconds=1)
    if community.digest == "hourly":
        return now.replace(minute=0, second=0, microsecond=0)
    local = now.astimezone(community.zone)
    at = local.replace(hour=community.digest_hour, minute=0, second=0, microsecond=0)
    return at if at <= local else at - timedelta(days=1)


def recipients(
    community: CommunityConfig, created_by: int | None, co_organizers: Sequence[int] = ()
) -> list[int]:
    """Who hears about a salon: the community's organizers, its author, its co-organizers."""
    ids = list(community.organizers)
    for user_id in (created_by, *co_organizers):
        if user_id is not None and user_id not in ids:
            ids.append(user_id)
    return ids


async def _co_organizers(rows: list[ActivityRow], session: AsyncSession) -> dict[int, list[int]]:
    found = {}
    for salon_id in {r.salon_id for r in rows}:
        found[salon_id] = [
            uid for uid, _name in await list_co_organizers(salon_id, session=session)
        ]
    return found


def _quoted(title: str, language: str) -> str:
    return f"「{title}」" if language == "zh" else f"«{title}»"


def _name(row: ActivityRow) -> str:
    if row.kind == PAID and row.detail:
        amount, _space, currency = row.detail.partition(" ")
        if amount.isdigit():
            return f"{row.name} ({format_amount(int(amount), currency)})"
    return row.name


def digest_text(rows: list[ActivityRow], community: CommunityConfig, language: str) -> str:
    """One organizer's digest: per salon, who signed up, waited, moved up, paid and left."""
    _ = translations(language).gettext
    lines = ["📰 " + _("What happened at your salons in {community}:").format(
        community=community.title)]  # fmt: skip
    by_salon: dict[int, list[ActivityRow]] = defaultdict(list)
    for row in rows:
        by_salon[row.salon_id].append(row)
    for salon_rows in by_salon.values():
        lines += ["", _quoted(salon_rows[0].salon_title, language)]
        for kind, (mark, template) in LINES.items():
            names = [_name(r) for r in salon_rows if r.kind == kind]
            if not names:
                continue
            shown = ("、" if language == "zh" else ", ").join(names[:MAX_NAMES])
            if len(names) > MAX_NAMES:
                shown += " …"
            lines.append(f"{mark} " + _(template).format(count=len(names), names=shown))
    return "\n".join(lines)[:4096]


def note_text(row: ActivityRow, language: str) -> str:
    """An immediate note: the salon filled, or a member left a comment."""
    _ = translations(language).gettext
    title = _quoted(row.salon_title, language)
    if row.kind == FULL:
        return "🈵 " + _("{title} is full: every seat is taken. New signups join the "
                         "waitlist.").format(title=title)  # fmt: skip
    rating, _bar, comment = (row.detail or "").partition("|")
    head = _("💬 {name} commented on {title}").format(name=row.name, title=title)
    if rating:
        head += " " + _("(rated {rating}/5)").format(rating=rating)
    return f"{head}:\n{comment}"[:4096]


async def _language(config: Config, community: CommunityConfig, user_id: int, session) -> str:
    user = await get_user(user_id, session=session)
    return pick_language(user.language_code if user else None, community.language)


async def _queue(key: str, organizer: int, text: str, salon_id: int | None, session) -> bool:
    return await enqueue(key, session=session, kind=KIND_DIGEST, chat_id=organizer,
                         user_id=organizer, salon_id=salon_id, payload={"text": text})  # fmt: skip


async def queue_notes(config: Config, *, session: AsyncSession) -> int:
    """Queue a note per urgent row (a salon filled, a comment) to its organizers."""
    rows = await list_unreported(session=session, urgent=True)
    co = await _co_organizers(rows, session)
    queued = 0
    for row in rows:
        community = config.community(row.community_id)
        if community is not None:
            for organizer in recipients(community, row.created_by, co[row.salon_id]):
                language = await _language(config, community, organizer, session)
                queued += await _queue(f"note:{row.id}:{organizer}", organizer,
                                       note_text(row, language), row.salon_id, session)  # fmt: skip
    await mark_reported([r.id for r in rows], session=session)
    return queued


async def queue_digest(
    config: Config, community: CommunityConfig, *, session: AsyncSession, now: datetime
) -> int:
    """Queue the community's digest, if one is due, to each organizer concerned."""
    before = digest_boundary(community, now)
    if before is None:
        return 0
    rows = await list_unreported(session=session, urgent=False, community_id=community.chat_id,
                                 before=before)  # fmt: skip
    if not rows:
        return 0
    co = await _co_organizers(rows, session)
    per_organizer: dict[int, list[ActivityRow]] = defaultdict(list)
    for row in rows:
        for organizer in recipients(community, row.created_by, co[row.salon_id]):
            per_organizer[organizer].append(row)
    queued = 0
    for organizer, theirs in per_organizer.items():
        language = await _language(config, community, organizer, session)
        key = f"digest:{community.chat_id}:{theirs[-1].id}:{organizer}"
        queued += await _queue(key, organizer, digest_text(theirs, community, language), None,
                               session)  # fmt: skip
    await mark_reported([r.id for r in rows], session=session)
    return queued


async def tell_organizers(db: async_sessionmaker, config: Config) -> int:
    """The tick: immediate notes, then the digests that are due. Returns messages queued."""
    async with db.begin() as session:
        queued = await queue_notes(config, session=session)
    for community in config.communities:
        async with db.begin() as session:
            queued += await queue_digest(config, community, session=session, now=utcnow())
    return queued
