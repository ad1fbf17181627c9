"""Ingest benchmark: what logging group activity costs on top of PTB's own dispatch.

Generates realistic group updates (Bot API JSON: messages, replies, photos, stickers,
forwards, commands, edits, reactions, anonymous totals, joins) from a community of members
with skewed activity, then feeds the same updates through `Application.process_update` of

- a no-op app: PTB with one handler that does nothing (the floor), and
- the real app: `build_app` with every real handler, on a file-backed database, the timing
  including the final flush of the activity buffer,

both decoding each update with `Update.de_json` as the polling loop does. The two apps run
alternately `--repeat` times and the best run of each counts. Prints per-second figures,
their ratio (target >= 0.5) and the rows written (by the last logged run).

    python bench/ingest.py [--updates 50000] [--members 2000] [--database-url URL] [--json]

`--database-url` runs on another database (e.g. PostgreSQL): use a scratch database; each run
adds a new community and counts only its rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import Application, TypeHandler  # noqa: E402

from bot.app import build_app  # noqa: E402
from bot.common.config import parse_config  # noqa: E402
from bot.sandbox.request import SandboxRequest  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import (  # noqa: E402
    ActivityDay,
    GroupMessage,
    MemberChange,
    Membership,
    Reaction,
)

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
WORDS = ("读书", "沙龙", "今天", "分享", "我觉得", "book", "salon", "great", "idea",
         "thanks", "周末", "活动", "python", "data", "有意思", "why", "agree", "哈哈", "👍",
         "see you")  # fmt: skip
EMOJI = ("👍", "❤", "🔥", "👏", "😁", "🤔", "🎉")
START = 1_767_225_600  # 2026-01-01 00:00 UTC


def generate(count: int, members: int, chat_id: int, seed: int) -> list[dict]:
    """`count` updates of one busy community, as Bot API JSON."""
    rng = random.Random(seed)
    chat = {"id": chat_id, "type": "supergroup", "title": "读书会 Bench", "is_forum": True}
    people = [
        {"id": 5_000_000_000 + i, "is_bot": False, "first_name": f"成员{i}",
         "username": f"member{i}", "language_code": rng.choice(("zh-hans", "en", "ru"))}
        for i in range(members)
    ]  # fmt: skip
    weights = [1 / (rank + 1) ** 1.1 for rank in range(members)]  # a few talk a lot
    recent: list[dict] = []
    updates: list[dict] = []
    at = float(START)
    message_id = 1
    newcomer = members
    for update_id in range(1, count + 1):
        at += rng.expovariate(1 / 12)  # ~7 days for 50,000 updates
        date = int(at)
        draw = rng.random()
        if draw < 0.004:  # someone joins
            user = {
                "id": 5_000_000_000 + newcomer,
                "is_bot": False,
                "first_name": f"新人{newcomer}",
            }
            newcomer += 1
            updates.append({"update_id": update_id, "chat_member": {
                "chat": chat, "from": user, "date": date,
                "old_chat_member": {"status": "left", "user": user},
                "new_chat_member": {"status": "member", "user": user}}})  # fmt: skip
            continue
        user = rng.choices(people, weights)[0]
        if draw < 0.30 and recent:  # a reaction to a recent message
            target = rng.choice(recent[-200:])
            updates.append({"update_id": update_id, "message_reaction": {
                "chat": chat, "message_id": target["message_id"], "user": user, "date": date,
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": rng.choice(EMOJI)}]}})  # fmt: skip
            continue
        if draw < 0.31 and recent:  # anonymous totals
            target = rng.choice(recent[-50:])
            updates.append({"update_id": update_id, "message_reaction_count": {
                "chat": chat, "message_id": target["message_id"], "date": date,
                "reactions": [{"type": {"type": "emoji", "emoji": "👍"},
                               "total_count": rng.randint(1, 9)}]}})  # fmt: skip
            continue
        if draw < 0.32 and recent:  # an edit of one's recent message
            target = rng.choice(recent[-20:])
            updates.append(
                {
                    "update_id": update_id,
                    "edited_message": {
                        **target,
                        "edit_date": date,
                        "text": target.get("text", "") + " (edited)",
                    },
                }
            )
            continue
        message = {"message_id": message_id, "date": date, "chat": chat, "from": user}
        message_id += 1
        kind = rng.random()
        text = " ".join(rng.choices(WORDS, k=rng.randint(1, 30)))
        if kind < 0.05:
            message["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 90, "height": 90}]
            message["caption"] = text
        elif kind < 0.08:
            message["sticker"] = {"file_id": "s", "file_unique_id": "s", "type": "regular",
                                  "width": 512, "height": 512, "is_animated": False,
                                  "is_video": False}  # fmt: skip
        elif kind < 0.085:
            message["text"] = "/help"
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": 5}]
        else:
            message["text"] = text
            if kind < 0.10:
                message["forward_origin"] = {"type": "hidden_user", "sender_user_name": "X",
                                             "date": date - 999}  # fmt: skip
        if recent and rng.random() < 0.3:
            message["reply_to_message"] = rng.choice(recent[-100:])
        if rng.random() < 0.2:
            message["message_thread_id"] = 7
            message["is_topic_message"] = True
        updates.append({"update_id": update_id, "message": message})
        recent.append({k: v for k, v in message.items() if k != "reply_to_message"})
    return updates


async def feed(app: Application, updates: list[dict]) -> None:
    """Decode and process every update, yielding to the loop every 100 (a getUpdates batch)."""
    for index, data in enumerate(updates):
        await app.process_update(Update.de_json(data, app.bot))
        if index % 100 == 99:
            await asyncio.sleep(0)


async def noop_run(updates: list[dict]) -> float:
    """Seconds PTB needs to dispatch the updates to one handler that does nothing."""

    async def noop(_update, _context) -> None:
        return None

    app = Application.builder().token(TOKEN).request(SandboxRequest()).build()
    app.add_handler(TypeHandler(Update, noop), group=-1)
    async with app:
        await app.start()
        started = time.perf_counter()
        await feed(app, updates)
        elapsed = time.perf_counter() - started
        await app.stop()
    return elapsed


async def logged_run(config, updates: list[dict]) -> tuple[float, dict]:
    """Seconds the real app needs, final flush included, and the rows it wrote."""
    app = build_app(config, request=SandboxRequest())
    await app.initialize()
    await app.post_init(app)
    await app.start()
    started = time.perf_counter()
    await feed(app, updates)
    await app.bot_data.activity.flush()
    elapsed = time.perf_counter() - started
    await app.stop()
    buffer = app.bot_data.activity
    counts = {"pending_after_flush": len(buffer.pending), "dropped": buffer.dropped}
    chat_id = config.communities[0].chat_id
    async with app.bot_data.db.begin() as session:
        for name, column in (
            ("group_messages", GroupMessage.community_id),
            ("reaction_events", Reaction.community_id),
            ("member_events", MemberChange.community_id),
            ("memberships", Membership.community_id),
            ("activity_daily", ActivityDay.community_id),
        ):
            query = select(func.count()).where(column == chat_id)
            counts[name] = await session.scalar(query)
        counts["rollup_messages"] = await session.scalar(
            select(func.sum(ActivityDay.messages)).where(ActivityDay.community_id == chat_id)
        )
    await app.post_shutdown(app)
    await app.shutdown()
    return elapsed, counts


class _ErrorCounter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        print(self.format(record), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run both apps on the same updates and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=50_000)
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each app; best counts")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    errors = _ErrorCounter()
    logging.basicConfig(level=logging.WARNING)
    logging.getLogger().addHandler(errors)

    noops, loggeds = [], []
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url)
        # Alternate the apps; the best run of each counts (the least disturbed by other load).
        for _ in range(args.repeat):
            # A new community each run, so that no row is already stored.
            chat_id = -1_009_000_000_000 - random.Random().randrange(1_000_000)
            config = parse_config({
                "telegram": {"token": TOKEN},
                "database": {"url": url, "migrate_on_start": False},
                "communities": [{"chat_id": chat_id, "title": "Bench", "timezone": "UTC"}],
            }, env={})  # fmt: skip
            updates = generate(args.updates, args.members, chat_id, args.seed)
            noops.append(asyncio.run(noop_run(updates)))
            seconds, counts = asyncio.run(logged_run(config, updates))
            loggeds.append(seconds)
    noop, logged = min(noops), min(loggeds)
    result = {
        "backend": url.split("+", 1)[0],
        "updates": len(updates),
        "members": args.members,
        "noop_seconds": round(noop, 3),
        "logged_seconds": round(logged, 3),
        "noop_per_s": round(len(updates) / noop),
        "logged_per_s": round(len(updates) / logged),
        "ratio": round(noop / logged, 3),
        "target_ratio": 0.5,
        "runs_seconds": {
            "noop": [round(x, 3) for x in noops],
            "logged": [round(x, 3) for x in loggeds],
        },
        "rows": counts,
        "errors_logged": errors.count,
    }
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>16}: {value}")
    return 0 if errors.count == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
