"""An .ics calendar file for a salon, so members can add it to their calendar in one tap."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event

from storage.models import Salon
from storage.schedule import salon_end


def salon_ics(salon: Salon, *, community_title: str = "", now: datetime | None = None) -> bytes:
    """An iCalendar (RFC 5545) file with one event; times in UTC so every client agrees."""
    calendar = Calendar()
    calendar.add("prodid", "-//salonbot//salonbot//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    event.add("uid", f"salon-{salon.id}-{salon.short_code}@salonbot")
    event.add("dtstamp", now or datetime.now(UTC))
    event.add("dtstart", salon.starts_at.astimezone(UTC))
    event.add("dtend", salon_end(salon).astimezone(UTC))
    event.add("summary", salon.title)
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
