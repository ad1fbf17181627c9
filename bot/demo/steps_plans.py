"""Demo step 12: the organizer compares plans with /plan and starts a recurring series."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from bot import callbacks
from bot.demo.driver import Demo, button_with, buttons
from bot.demo.steps_plan_campaign import check_forecast, plan_campaign_part
from bot.demo.world import CHAT_ID, LOCATION, TIMEZONE
from bot.plans.service import NO_HISTORY
from recommender.topics import TOPICS
from storage.series import list_future_occurrences, list_series

SERIES_RULE = "every Saturday 14:00"
SHOWN_ANNOUNCEMENTS = 2


def _title(tag: str, index: int) -> str:
    topic = TOPICS[tag]
    return f"{topic['name'][1]}：{topic['zh'][index]} · {topic['name'][0]}: {topic['en'][index]}"


def _when(demo: Demo, days: int, hour: int, minute: int = 0) -> str:
    day = (demo.world.now.tz_convert(TIMEZONE) + pd.Timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, minute).strftime("%Y-%m-%d %H:%M")


def candidate_plans(demo: Demo) -> list[str]:
    """Three plans in the one-line /newsalon form: the favourite topic twice, another once;
    the first salon's seats, so the chosen plan's campaign compares with its campaign."""
    tag, seats = demo.facts["plan"].tag, demo.facts["plan"].capacity
    other = "reading" if tag != "reading" else "design"
    return [
        f"{_title(tag, 1)} | {_when(demo, 10, 19, 30)} | {seats} | {LOCATION} | {tag}",
        f"{_title(tag, 2)} | {_when(demo, 12, 10)} | {seats} | {LOCATION} | {tag}",
        f"{_title(other, 1)} | {_when(demo, 13, 14)} | {seats} | {LOCATION} | {other}",
    ]


async def plans_step(demo: Demo) -> None:
    """/plan with three plans: the forecast, the best plan, and its draft; then /series."""
    _, t, organizer = demo.gettext, demo.transcript, demo.world.organizer
    t.heading(_("12. The organizer plans ahead: /plan and a recurring salon"))
    t.note(_("For the next salons, the organizer compares three plans with /plan: the "
             "participation model and the salon-level model forecast each one."))  # fmt: skip
    text = "/plan\n" + "\n".join(candidate_plans(demo))
    t.says(organizer.user_id, text.replace("\n", "\n    "))
    demo.new_calls()
    start = len(demo.sandbox.calls)
    demo.say(organizer, text, show=False)
    await demo.settle()
    prefix, refusal = callbacks.PLAN + ":", _(NO_HISTORY).split("{")[0]

    def answer() -> list:
        calls = demo.sandbox.calls[start:]
        return [c for c in calls if c.params.get("chat_id") == organizer.user_id
                and (any(d.startswith(prefix) for d in buttons(c).values())
                     or c.params.get("text", "").startswith(refusal))]  # fmt: skip

    await demo.until(lambda: bool(answer()), "the /plan answer")
    reply = answer()[0]
    demo.show_new()
    if any(data.startswith(prefix) for data in buttons(reply).values()):
        drafts = [(label, data) for label, data in buttons(reply).items()
                  if data.startswith(prefix)]  # fmt: skip
        best = next(i for i, (label, _data) in enumerate(drafts) if label.startswith("🏆"))
        check_forecast(demo, [line.split(" | ")[4].split(",") for line in candidate_plans(demo)],
                       best)  # fmt: skip
        label, data = drafts[best]
        demo.press(organizer, reply, data, label)
        await demo.settle()
        [draft] = await demo.sent(1, "the draft's preview", chat_id=organizer.user_id,
                                  button="S:pub")  # fmt: skip
        demo.show_new()
        t.note(_("The best plan is now a draft salon: the organizer can edit it and publish it "
                 "like any other."))  # fmt: skip
        await plan_campaign_part(demo, draft)
    else:
        t.note(_("The community's history is too small for the salon-level model, so /plan "
                 "says so instead of guessing; with more past salons it compares the plans.")
               )  # fmt: skip
    await series_part(demo)


async def series_part(demo: Demo) -> None:
    """/series: the occurrences of the coming weeks are published and announced in the group."""
    _, t, organizer = demo.gettext, demo.transcript, demo.world.organizer
    t.note(_("A weekly meetup: the organizer starts a recurring series with /series."))
    tag = demo.facts["plan"].tag
    title = _title("reading" if tag != "reading" else "design", 2)
    demo.say(organizer, f"/series {title} | {SERIES_RULE} | 20 | {LOCATION}")
    await demo.settle()
    [reply] = await demo.sent(1, "the /series answer", chat_id=organizer.user_id, button="O:ss")
    async with demo.db.begin() as session:
        [series] = [s for s in await list_series([CHAT_ID], session=session) if s.title == title]
        count = len(await list_future_occurrences(series.id, session=session))
    start = demo.sandbox.calls.index(reply)

    def announced() -> list:
        calls = demo.sandbox.calls[start:]
        return [c for c in calls if c.method == "sendMessage" and c.params.get("chat_id") == CHAT_ID
                and title in c.params.get("text", "")]  # fmt: skip

    await demo.until(lambda: len(announced()) >= count, "the series announcements")
    demo.new_calls()
    t.bot([reply])
    t.note(_("The outbox dispatcher announces each occurrence in the group:"))
    calls = announced()
    t.bot(calls[:SHOWN_ANNOUNCEMENTS])
    rest = len(calls) - SHOWN_ANNOUNCEMENTS
    t.more(rest, _("{count} more announcements of the series.").format(count=rest))
    label, _data = button_with(reply, "O:ss")
    t.note(_("The series tick keeps {days:g} days of occurrences ahead; {stop} stops it.").format(
        days=demo.config.schedule.series_days, stop=f"[{label}]"))  # fmt: skip
