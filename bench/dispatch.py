"""Benchmark: a campaign's invitations through the real outbox and dispatcher.

Seeds a file-backed SQLite database with one salon and N reachable members, starts a campaign
(no holdout, no quiet hours) so N invitations are queued in the outbox, then drives the
dispatcher's job function (`pump`, every DISPATCH_SECONDS as the bot does) against a local
fake Bot API server that answers after `--delay` seconds (and optionally 429 to a share of
requests). Prints configured and achieved rate, and duplicates and losses.

    python bench/dispatch.py --json
    python bench/dispatch.py --rate-limit-share 0.05 --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select
from telegram import Bot
from telegram.request import HTTPXRequest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.campaigns.service import start_campaign  # noqa: E402
from bot.campaigns.texts import Audience  # noqa: E402
from bot.common.config import parse_config  # noqa: E402
from bot.outbox.dispatcher import DISPATCH_SECONDS, MAX_IN_FLIGHT, Dispatcher, pump  # noqa: E402
from bot.sandbox.server import BotApiSandbox  # noqa: E402
from storage.db import create_engine, session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.models import OutboxMessage  # noqa: E402
from storage.runs import add_run, replace_scores  # noqa: E402
from storage.salons import NewSalon, add_salon  # noqa: E402
from storage.types import utcnow  # noqa: E402
from storage.users import (  # noqa: E402
    CommunityInfo,
    UserInfo,
    mark_started,
    upsert_communities,
    upsert_membership,
    upsert_user,
)

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
COMMUNITY = -1001234567890


class Deliveries:
    """What the fake server delivered (answered 200 to), recorded in its threads."""

    def __init__(self, sandbox: BotApiSandbox) -> None:
        self.items: list[tuple[float, int]] = []
        self.lock = threading.Lock()
        self.sandbox = sandbox
        sandbox.handlers["sendMessage"] = self.record

    def record(self, params: dict) -> dict:
        with self.lock:
            self.items.append((time.monotonic(), int(params["chat_id"])))
        return self.sandbox._message("sendMessage", params)


async def seed(db, config, count: int) -> int:
    """One salon without a seat limit and `count` reachable members with a score."""
    async with db.begin() as session:
        await upsert_communities([CommunityInfo(COMMUNITY, "Bench", "UTC", "en")], session=session)
        starts = utcnow() + timedelta(days=5)
        salon = await add_salon(NewSalon(COMMUNITY, "Bench night", starts), session=session)
        for user_id in range(1, count + 1):
            await upsert_user(UserInfo(user_id, f"Member {user_id}", language_code="en"),
                              session=session)  # fmt: skip
            await upsert_membership(COMMUNITY, user_id, session=session)
            await mark_started(user_id, session=session)
        run = await add_run(COMMUNITY, {}, session=session)
        await replace_scores(salon.id, run.id, [(u, 0.5) for u in range(1, count + 1)],
                             session=session)  # fmt: skip
    started = await start_campaign(db, config, salon.id, Audience())
    return started.queued


async def remaining(db) -> int:
    async with db.begin() as session:
        query = select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
        return int(await session.scalar(query))


async def statuses(db) -> dict[str, int]:
    async with db.begin() as session:
        rows = await session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        return dict(rows.all())


async def run(args: argparse.Namespace) -> dict:
    directory = Path(tempfile.mkdtemp(prefix="salonbot-bench-"))
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    await asyncio.to_thread(upgrade, url)
    sandbox = BotApiSandbox(delay=args.delay, rate_limit_share=args.rate_limit_share, seed=1)
    sandbox.start()
    deliveries = Deliveries(sandbox)
    config = parse_config(
        {"telegram": {"token": TOKEN, "api_base_url": sandbox.base_url},
         "database": {"url": url},
         "communities": [{"chat_id": COMMUNITY, "title": "Bench", "timezone": "UTC",
                          "language": "en"}],
         "messaging": {"global_rate_per_second": args.rate, "quiet_hours_start": "00:00",
                       "quiet_hours_end": "00:00"},
         "campaigns": {"holdout_share": 0.0}},
        env={},
    )  # fmt: skip
    engine = create_engine(url)
    db = session_factory(engine)
    queued = await seed(db, config, args.count)
    request = HTTPXRequest(connection_pool_size=MAX_IN_FLIGHT + 8)
    bot = Bot(TOKEN, base_url=config.telegram.bot_base_url, request=request)
    await bot.initialize()
    dispatcher = Dispatcher(config.messaging)
    deadline = time.monotonic() + args.timeout
    try:
        while time.monotonic() < deadline:
            await pump(bot, db, dispatcher)
            await asyncio.sleep(DISPATCH_SECONDS)
            if not dispatcher.tasks and await remaining(db) == 0:
                break
        await dispatcher.close()
        by_status = await statuses(db)
    finally:
        await bot.shutdown()
        await engine.dispose()
        sandbox.stop()
    times = sorted(t for t, _chat in deliveries.items)
    chats = [chat for _t, chat in deliveries.items]
    achieved = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    delivered = len(set(chats))
    return {
        "count": args.count,
        "queued": queued,
        "delay_seconds": args.delay,
        "rate_limit_share": args.rate_limit_share,
        "rate_limited_answers": len(sandbox.calls_to("sendMessage")) - len(chats),
        "configured_rate": args.rate,
        "achieved_rate": round(achieved, 2),
        "ratio": round(achieved / args.rate, 3),
        "sent": by_status.get("sent", 0),
        "duplicates": len(chats) - delivered,
        "lost": args.count - delivered,
        "statuses": by_status,
        "seconds": round(times[-1] - times[0], 1) if times else 0.0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--rate-limit-share", type=float, default=0.0)
    parser.add_argument("--timeout", type=float, default=1800.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    if args.json:
        print(json.dumps(result))
    else:
        for key, value in result.items():
            print(f"{key:>22}: {value}")
    return 0 if result["duplicates"] == 0 and result["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
