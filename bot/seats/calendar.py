"""An .ics calendar file for a salon, so members can add it to their calendar in one tap.

Every version of a salon's file has the same UID; `salon.sequence` goes up with each change
members are told about (time, place, cancellation), so calendars replace the entry they have
instead of adding one, and a cancelled salon's file (METHOD:CANCEL) removes it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event

from storage.models import Salon
from storage.models.salons import SALON_CANCELLED
from storage.schedule import salon_end


def salon_uid(salon: Salon) -> str:
    """The UID every version of this salon's calendar entry shares."""
    return f"salon-{salon.id}-{salon.short_code}@salonbot"


def salon_ics(salon: Salon, *, community_title: str = "", now: datetime | None = None) -> bytes:
    """An iCalendar (RFC 5545) file with one event; times in UTC so every client agrees."""
    cancelled = salon.status == SALON_CANCELLED
    calendar = Calendar()
    calendar.add("prodid", "-//salonbot//salonbot//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", salon_uid(salon))
    event.add("sequence", salon.sequence or 0)
    event.add("dtstamp", now or datetime.now(UTC))
    event.add("dtstart", salon.starts_at.astimezone(UTC))
    event.add("dtend", salon_end(salon).astimezone(UTC))
    event.add("summary", salon.title)
    if cancelled:
        event.add("status", "CANCELLED")
    if salon.location:
        event.add("location", salon.location)
    description = "\n\n".join(p for p in (salon.description, community_title) if p)
    if description:
        event.add("description", description)
    calendar.add_component(event)
    return calendar.to_ical()


def ics_filename(salon: Salon) -> str:
    """A file name for the salon's .ics file."""
    return f"salon-{salon.short_code}.ics"


def ics_document(salon: Salon, *, community_title: str = "") -> dict:
    """The .ics file as an outbox `document` value (the dispatcher uploads it)."""
    content = salon_ics(salon, community_title=community_title).decode()
    return {"filename": ics_filename(salon), "content": content}
