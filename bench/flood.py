"""Benchmark: one member floods the bot while 50 others use it; do the others wait longer?

The real application (`build_app`, its concurrent update processing, the per-member limit)
runs with the fake Bot API in-process on a fresh SQLite file (or `--database-url`). Each of
`--members` members sends /events, /mysalons and /join <code> a second or so apart, and the
time from an update entering the queue to the bot's first answer in that member's chat is
measured. After a short warm-up run (not reported), the same run is done quietly and
while one member sends `--flood` updates of every kind (private commands
and texts, edited commands, button presses, group messages and commands, reactions, poll
answers) as fast as the queue takes them.

    python bench/flood.py [--members 50] [--flood 1000] [--database-url URL] [--repeats 3]

Each pair of runs is repeated `--repeats` times, alternating which goes first (the machines
are noisy). Prints JSON: per run the others' median and p90 reply latency and what the
flooder got back (answers, refusals); the median of the runs' medians with and without the
flood, and their ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.common.config import parse_config  # noqa: E402
from bot.sandbox.request import SandboxRequest  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.salons import NewSalon, add_salon  # noqa: E402
from storage.types import utcnow  # noqa: E402

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
COMMUNITY = -1001234567890
GROUP = {"id": COMMUNITY, "type": "supergroup", "title": "读书会"}
_ids = itertools.count(1)


def _user(user_id: int) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": f"M{user_id}", "language_code": "en"}


def _message(text: str, user: dict, chat: dict | None = None, *, edited: bool = False) -> dict:
    data = {"message_id": next(_ids), "date": int(time.time()), "text": text, "from": user,
            "chat": chat or {"id": user["id"], "type": "private", "first_name": "M"}}  # fmt: skip
    if text.startswith("/"):
        data["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    if edited:
        data["edit_date"] = data["date"]
    return {"update_id": next(_ids), "edited_message" if edited else "message": data}


def flood_updates(user: dict, salon_id: int, code: str, count: int) -> list[dict]:
    """`count` updates of every kind one member can cause."""
    private = {"id": user["id"], "type": "private", "first_name": "M"}
    makers = [
        lambda: _message("/events", user),
        lambda: _message("hello?", user),
        lambda: _message(f"/join {code}", user, edited=True),
        lambda: _message("/events", user, edited=True),
        lambda: {"update_id": next(_ids), "callback_query": {
            "id": str(next(_ids)), "from": user, "chat_instance": "1", "data": f"J:{salon_id}",
            "message": _message("(buttons)", user, private)["message"]}},
        lambda: _message("spam spam", user, GROUP),
        lambda: _message("/events", user, GROUP),
        lambda: {"update_id": next(_ids), "message_reaction": {
            "chat": GROUP, "message_id": 1, "user": user, "date": int(time.time()),
            "old_reaction": [], "new_reaction": [{"type": "emoji", "emoji": "👍"}]}},
        lambda: {"update_id": next(_ids), "poll_answer": {
            "poll_id": "p1", "user": user, "option_ids": [0], "option_persistent_ids": ["0"]}},
    ]  # fmt: skip
    return [makers[i % len(makers)]() for i in range(count)]


async def _member(app, queue_times: dict, user: dict, code: str, delay: float) -> None:
    await asyncio.sleep(delay)
    for text in ("/events", "/mysalons", f"/join {code}"):
        update = Update.de_json(_message(text, user), app.bot)
        queue_times.setdefault(user["id"], []).append(time.monotonic())
        await app.update_queue.put(update)
        await asyncio.sleep(1.0)


async def _flood(app, updates: list[dict]) -> None:
    for data in updates:
        await app.update_queue.put(Update.de_json(data, app.bot))
        await asyncio.sleep(0)


def _latencies(request: SandboxRequest, queue_times: dict) -> list[float]:
    answers: dict[int, list[float]] = {}
    for call in request.api.calls:
        if call.method in ("sendMessage", "sendDocument", "sendInvoice"):
            answers.setdefault(int(call.params.get("chat_id") or 0), []).append(call.at)
    result = []
    for user_id, sent in queue_times.items():
        times = sorted(answers.get(user_id, []))
        for at in sent:
            later = [t for t in times if t >= at]
            result.append(later[0] - at if later else 30.0)  # unanswered: counted as 30 s
    return result


async def run(url: str, members: int, flood: int, *, flooding: bool, base: int) -> dict:
    """One phase: `members` members use the bot, with or without one flooding member."""
    config = parse_config({
        "telegram": {"token": TOKEN},
        "database": {"url": url, "migrate_on_start": False},
        "communities": [{"chat_id": COMMUNITY, "title": "读书会", "timezone": "Asia/Shanghai",
                         "language": "zh", "organizers": [42]}],
    }, env={})  # fmt: skip
    request = SandboxRequest()
    app = build_app(config, request=request)
    await app.initialize()
    await app.post_init(app)
    try:
        await app.start()
        async with app.bot_data.db.begin() as session:
            new = NewSalon(COMMUNITY, "Flood night", utcnow() + timedelta(days=3))
            salon = await add_salon(new, session=session)
        queue_times: dict[int, list[float]] = {}
        users = [_user(base + i) for i in range(members)]
        tasks = [_member(app, queue_times, u, salon.short_code, i * 2.0 / members)
                 for i, u in enumerate(users)]  # fmt: skip
        flooder = _user(base + 10_000)
        if flooding:
            tasks.append(_flood(app, flood_updates(flooder, salon.id, salon.short_code, flood)))
        started = time.monotonic()
        await asyncio.gather(*tasks)
        while app.update_queue.qsize() and time.monotonic() - started < 120:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)
        await app.stop()
    finally:
        if app.running:
            await app.stop()
        await app.post_shutdown(app)
        await app.shutdown()
    latencies = _latencies(request, queue_times)
    to_flooder = [c for c in request.api.calls
                  if c.params.get("chat_id") == flooder["id"]
                  or (c.method == "answerCallbackQuery")]  # fmt: skip
    return {
        "median_s": round(statistics.median(latencies), 4),
        "p90_s": round(statistics.quantiles(latencies, n=10)[-1], 4),
        "answers": len(latencies),
        "calls_for_flooder": len(to_flooder) if flooding else 0,
    }


async def main_async(args) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{tmp}/flood.db"
        if not args.database_url:
            await asyncio.to_thread(upgrade, url)
        # A throwaway run first: the first /events pays for lazy imports and caches (the
        # ranking's pandas, the translations), which would otherwise count against the quiet
        # run and flatter the flooded one.
        await run(url, 5, 0, flooding=False, base=5_000)
        runs: dict[bool, list[dict]] = {False: [], True: []}
        bases = itertools.count(10_000, 20_000)
        for repeat in tqdm(range(args.repeats), desc="quiet and flooded runs", file=sys.stderr):
            # Quiet first, then flooded first: a drift in the machine's load hits both alike.
            for flooding in (False, True) if repeat % 2 == 0 else (True, False):
                runs[flooding].append(await run(url, args.members, args.flood,
                                                flooding=flooding, base=next(bases)))  # fmt: skip
    quiet = statistics.median(r["median_s"] for r in runs[False])
    flooded = statistics.median(r["median_s"] for r in runs[True])
    return {
        "members": args.members,
        "flood_updates": args.flood,
        "repeats": args.repeats,
        "no_flood": {"median_s": round(quiet, 4), "runs": runs[False]},
        "flood": {"median_s": round(flooded, 4), "runs": runs[True]},
        "median_ratio": round(flooded / max(quiet, 1e-6), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--flood", type=int, default=1000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--repeats", type=int, default=3)
    print(json.dumps(asyncio.run(main_async(parser.parse_args())), indent=2))


if __name__ == "__main__":
    main()
