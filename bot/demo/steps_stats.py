"""The last step: the organizer reads /stats; its charts are written to the output folder."""

from __future__ import annotations

from bot.demo.driver import Demo

CHART_METHODS = ("sendPhoto", "sendMediaGroup")


def _pictures(params: dict) -> list[tuple[str, bytes]]:
    """The uploaded files of a sendPhoto/sendMediaGroup call: (file name, PNG bytes)."""
    return [(value["filename"], value["data"]) for value in params.values()
            if isinstance(value, dict) and isinstance(value.get("data"), bytes)]  # fmt: skip


async def stats_step(demo: Demo) -> None:
    """The organizer sends /stats: figures as text, charts as pictures saved under out/charts."""
    _, t, organizer = demo.gettext, demo.transcript, demo.world.organizer
    t.heading(_("10. The organizer reads /stats"))
    demo.new_calls()
    start = len(demo.sandbox.calls)
    demo.say(organizer, "/stats")

    def charts() -> list:
        return [c for c in demo.sandbox.calls[start:] if c.method in CHART_METHODS
                and c.params.get("chat_id") == organizer.user_id]  # fmt: skip

    await demo.until(lambda: bool(charts()), "the /stats charts")
    await demo.settle()
    folder = demo.out / "charts"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for call in charts():
        for name, data in _pictures(call.params):
            (folder / name).write_bytes(data)
            written.append(name)
    demo.show_new()
    t.note(_("Charts written to {folder}: {names}.").format(folder=folder,
                                                            names=", ".join(written)))  # fmt: skip
