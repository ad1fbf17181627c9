"""Demo step: the organizer moves the salon to a new place; members and organizer are told."""

from __future__ import annotations

from datetime import timedelta

from bot.demo.driver import Demo, button_with
from bot.sandbox.server import Call
from storage.salon_admin import list_salon_recipients
from storage.salons import get_salon
from storage.timeshift import shift_activity_back

NEW_PLACE = "上海市徐汇区天钥桥路 100 号 2F"


def _documents(demo: Demo, start: int) -> list[Call]:
    return [c for c in demo.sandbox.calls[start:] if c.method == "sendDocument"
            and str(c.params.get("caption", "")).startswith("📍")]  # fmt: skip


def _to_organizer(demo: Demo, mark: str) -> list[Call]:
    organizer = demo.world.organizer.user_id
    return [c for c in demo.sandbox.calls if c.method == "sendMessage"
            and c.params.get("chat_id") == organizer
            and str(c.params.get("text", "")).startswith(mark)]  # fmt: skip


async def changes_step(demo: Demo) -> None:
    """A new place reaches everyone signed up with an updated calendar entry; then the
    organizer's digest of the signups arrives."""
    _, t, organizer = demo.gettext, demo.transcript, demo.world.organizer
    t.heading(_("5b. A new place reaches everyone, with an updated calendar entry"))
    t.note(_("The café is too small: the organizer moves the salon. Everyone signed up (going, "
             "offered a seat or waiting) is told in their own language, with a map link and a "
             "calendar file that replaces the entry they added when they joined (same UID, "
             "higher SEQUENCE)."))  # fmt: skip
    async with demo.db.begin() as session:
        salon = await get_salon(demo.facts["salon_id"], session=session)
        told = len(await list_salon_recipients(salon.id, session=session))
    demo.say(organizer, "/salons")
    [listing] = await demo.sent(1, "the salon list", chat_id=organizer.user_id, button="S:m")
    demo.new_calls()
    for prefix in (f"S:m:{salon.id}", f"S:el:{salon.id}"):
        label, data = button_with(listing, prefix, exact=True)
        demo.press(organizer, listing, data, label)
        await demo.settle()
        edits = [c for c in demo.new_calls() if c.method == "editMessageText"]
        listing = edits[-1] if edits else listing
    start = len(demo.sandbox.calls)
    demo.say(organizer, NEW_PLACE)
    await demo.sent(1, "the organizer's confirmation", chat_id=organizer.user_id, button="S:")
    saved = [c for c in demo.new_calls() if c.params.get("chat_id") == organizer.user_id]
    t.bot(saved[:1])
    await demo.until(lambda: len(_documents(demo, start)) >= told, "the change notices")
    notices = _documents(demo, start)
    demo.new_calls()
    t.bot(notices[:1])
    ics = notices[0].params["document"]["data"].decode()
    t.note(_("Inside the calendar file: {lines}").format(lines=" · ".join(
        line for line in ics.splitlines() if line.startswith(("METHOD", "UID", "SEQUENCE"))
    )))  # fmt: skip
    t.more(len(notices) - 1, _("{count} more members got the same notice.").format(
        count=len(notices) - 1))  # fmt: skip
    full = _to_organizer(demo, "🈵")
    if full:
        t.note(_("When the last seat was taken, the organizer was told at once:"))
        t.bot(full[:1])
    t.note(_("The organizers get a digest of signups, leaves, waitlist moves and payments "
             "(configurable: after each one, hourly or daily). A day later:"))  # fmt: skip
    async with demo.db.begin() as session:
        await shift_activity_back(salon.id, timedelta(days=1), session=session)
    await demo.until(lambda: bool(_to_organizer(demo, "📰")), "the organizers' digest")
    demo.new_calls()
    t.bot(_to_organizer(demo, "📰")[:1])
