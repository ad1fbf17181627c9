"""Messages written when they are sent, not when they were queued.

A queued invitation may wait hours for the member's active hour; meanwhile the salon can move,
change place, fill up, close or be cancelled. Rows whose payload carries `_render` are rebuilt
here by the dispatcher, in the transaction that claims them (bot/outbox/dispatcher.py):

- `{"type": "invitation", ...}`: the text with the salon's current time, place and seats; the
  invitation is withdrawn when the salon is full, cancelled, started or past its deadline.
- `{"type": "calendar"}`: a change notice keeps its words but its .ics is the salon as it is
  now (the latest SEQUENCE); withdrawn if the member is no longer signed up.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.campaigns.texts import invitation_payload
from bot.common.config import Config
from bot.outbox.dispatcher import Render
from bot.seats.calendar import ics_document
from storage.models import OutboxMessage, Salon
from storage.models.salons import SALON_CANCELLED
from storage.salon_admin import SIGNED_UP
from storage.salons import get_salon
from storage.signups import closed_reason, get_signup
from storage.types import utcnow

INVITATION, CALENDAR = "invitation", "calendar"


def invitation_open(salon: Salon | None) -> bool:
    """Whether an invitation to this salon still makes sense: open and with a free seat."""
    if salon is None or closed_reason(salon, utcnow()) is not None:
        return False
    return salon.capacity is None or salon.going_count < salon.capacity


def make_renderer(config: Config) -> Render:
    """The dispatcher's `render` hook for this configuration."""

    async def render(session: AsyncSession, row: OutboxMessage) -> dict | None:
        note = row.payload.get("_render") or {}
        salon = await get_salon(row.salon_id, session=session) if row.salon_id else None
        if salon is None:
            return None
        if note.get("type") == INVITATION:
            if not invitation_open(salon):
                return None
            fresh = invitation_payload(config, salon, note["language"], note.get("name", ""),
                                       note.get("kind", ""), note.get("detail", ""))  # fmt: skip
            return {**fresh, "_render": note}
        if note.get("type") == CALENDAR:
            if salon.status != SALON_CANCELLED and row.user_id is not None:
                signup = await get_signup(salon.id, row.user_id, session=session)
                if signup is None or signup.status not in SIGNED_UP:
                    return None
            community = config.community(salon.community_id)
            title = community.title if community else ""
            return {**row.payload, "document": ics_document(salon, community_title=title)}
        return dict(row.payload)

    return render
