"""Benchmark: a full /stats on a large community, against the same activity figures from raw rows.

Builds (or reuses, with `--database`) a file-backed SQLite database of a simulated community
(`bench/stats_data.py`: by default 200,000 members, two years of rollups, 100 salons), then

- sends `/stats` from an organizer through the real application (`build_app`, the real
  handler, the fake Bot API in-process) `--repeat` times: figures, text and the four charts,
  sendMessage and sendMediaGroup included, once the chart processes (`--chart-workers`) are
  warm; and times the parts (the figures, the charts in the chart processes and in one);
- computes the same activity figures (all-time messages, the period's and the previous
  period's messages, messages per day, the hour x weekday heatmap in the community's
  timezone, active writers in 7 and 30 days) from the raw `group_messages` rows with
  grouped SQL, the way /stats would without rollups.

    python bench/stats.py [--members 200000] [--days 30] [--database PATH] [--chart-workers N]
                          [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from telegram import Update  # noqa: E402

from bench.stats_data import COMMUNITY, build_database  # noqa: E402
from bot.app import build_app  # noqa: E402
from bot.common.config import parse_config  # noqa: E402
from bot.sandbox.request import SandboxRequest  # noqa: E402
from bot.stats.charts import community_charts  # noqa: E402
from storage.member_counts import count_members_by_join  # noqa: E402
from storage.stats import get_community_stats, period_start  # noqa: E402

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
ORGANIZER = {"id": 42, "is_bot": False, "first_name": "Olga", "language_code": "zh-hans"}


def _update(days: int, update_id: int, bot) -> Update:
    return Update.de_json(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": ORGANIZER["id"], "type": "private", "first_name": "Olga"},
                "from": ORGANIZER,
                "text": f"/stats {days}",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            },
        },
        bot,
    )


async def time_handler(url: str, days: int, repeat: int, chart_workers: int) -> dict:
    """Full /stats through the application: seconds per run and what was sent."""
    config = parse_config(
        {
            "telegram": {"token": TOKEN},
            "database": {"url": url, "migrate_on_start": False},
            "communities": [
                {
                    "chat_id": COMMUNITY,
                    "title": "读书会 Reading Club",
                    "timezone": "Asia/Shanghai",
                    "language": "zh",
                    "organizers": [ORGANIZER["id"]],
                }
            ],
            "stats": {"chart_workers": chart_workers},
            "limits": {"commands_per_user": 1000},
        },
        env={},
    )
    request = SandboxRequest()
    app = build_app(config, request=request)
    await app.initialize()
    await app.post_init(app)
    runs = []
    pool = app.bot_data.charts
    try:
        # The first run warms caches (fonts, pages) and starts the chart processes (drawing in
        # this process meanwhile); it is reported apart, and the timed runs start once the
        # chart processes are warm.
        started = time.perf_counter()
        await app.process_update(_update(days, 999, app.bot))
        runs.append(time.perf_counter() - started)
        started = time.perf_counter()
        await pool.wait_ready()
        ready = time.perf_counter() - started
        for i in range(repeat):
            started = time.perf_counter()
            await app.process_update(_update(days, 1000 + i, app.bot))
            runs.append(time.perf_counter() - started)
        drawn_in_pool = pool.drawn_in_pool
        figures = []
        for _ in range(repeat):
            started = time.perf_counter()
            async with app.bot_data.db.begin() as session:
                stats = await get_community_stats(COMMUNITY, session=session, days=days)
            figures.append(time.perf_counter() - started)
        charts, serial = [], []
        for _ in range(repeat):
            started = time.perf_counter()
            await pool.community_charts(stats, "zh")
            charts.append(time.perf_counter() - started)
            started = time.perf_counter()
            community_charts(stats, "zh")
            serial.append(time.perf_counter() - started)
    finally:
        await app.post_shutdown(app)
        await app.shutdown()
    sent = [c.method for c in request.api.calls if c.method.startswith("send")]
    media = request.api.calls_to("sendMediaGroup")
    return {
        "runs": runs[1:],
        "first_run": runs[0],
        "figures": figures,
        "charts": charts,
        "charts_serial": serial,
        "chart_workers": pool.workers,
        "chart_workers_ready": ready,
        "drawn_in_pool": drawn_in_pool,
        "sent": sorted(set(sent)),
        "photos": len(media[-1].params["media"]) if media else 0,
        "stats": stats,
    }


async def time_raw(url: str, days: int, repeat: int) -> dict:
    """The same activity figures from raw message rows (grouped SQL, heatmap in Python)."""
    from storage.db import create_engine, session_factory

    engine = create_engine(url)
    db = session_factory(engine)
    zone = ZoneInfo("Asia/Shanghai")
    runs, result = [], {}
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            now = datetime.now(UTC)
            start = period_start(days, now)
            since = datetime.combine(start, datetime.min.time(), UTC)
            previous = since - timedelta(days=days)
            fmt = "%Y-%m-%d %H:%M:%S.%f"
            params = {
                "c": COMMUNITY,
                "since": since.strftime(fmt),
                "prev": previous.strftime(fmt),
                "d7": (now - timedelta(days=7)).strftime(fmt),
                "d30": (now - timedelta(days=30)).strftime(fmt),
            }
            async with db.begin() as session:
                total = await session.scalar(
                    text("SELECT count(*) FROM group_messages WHERE community_id = :c"), params
                )
                prev = await session.scalar(
                    text(
                        "SELECT count(*) FROM group_messages WHERE community_id = :c "
                        "AND sent_at >= :prev AND sent_at < :since"
                    ),
                    params,
                )
                hourly = (
                    await session.execute(
                        text(
                            "SELECT substr(sent_at, 1, 13), count(*) FROM group_messages "
                            "WHERE community_id = :c AND sent_at >= :since GROUP BY 1"
                        ),
                        params,
                    )
                ).all()
                active = [
                    await session.scalar(
                        text(
                            "SELECT count(DISTINCT user_id) FROM group_messages "
                            f"WHERE community_id = :c AND sent_at > :{key}"
                        ),
                        params,
                    )
                    for key in ("d7", "d30")
                ]
            heatmap = [[0] * 24 for _ in range(7)]
            daily: dict[str, int] = {}
            for hour_text, count in hourly:
                moment = datetime.strptime(hour_text, "%Y-%m-%d %H").replace(tzinfo=UTC)
                local = moment.astimezone(zone)
                heatmap[local.weekday()][local.hour] += count
                daily[hour_text[:10]] = daily.get(hour_text[:10], 0) + count
            runs.append(time.perf_counter() - started)
            result = {
                "messages_total": total,
                "messages_period": sum(daily.values()),
                "messages_previous": prev,
                "active_writers": active,
                "heatmap": heatmap,
            }
        started = time.perf_counter()
        async with db.begin() as session:
            result["members_by_join"] = list(
                await count_members_by_join(COMMUNITY, session=session)
            )
        join_seconds = time.perf_counter() - started
    finally:
        await engine.dispose()
    return {"runs": runs, "figures": result, "members_join_seconds": join_seconds}


def _ms(values: list[float]) -> dict:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median_ms": round(statistics.median(values) * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "runs": len(values),
    }


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the database, time /stats and the raw computation, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--database", help="SQLite file to reuse (built there if missing)")
    parser.add_argument("--raw-days", type=int, default=730, help="days of raw message rows")
    parser.add_argument(
        "--chart-workers", type=int, default=0, help="[stats] chart_workers (default 0)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    path = Path(args.database or Path(tempfile.mkdtemp(prefix="salonbot-stats-")) / "stats.db")
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        build = json.loads(meta_path.read_text())
    else:
        build = build_database(str(path), args.members, raw_days=args.raw_days)
        build["members"] = args.members
        meta_path.write_text(json.dumps(build))
    url = f"sqlite+aiosqlite:///{path}"
    handler = asyncio.run(time_handler(url, args.days, args.repeat, args.chart_workers))
    raw = asyncio.run(time_raw(url, args.days, args.repeat))
    stats = handler["stats"]
    checks = {
        "messages_total_equal": raw["figures"]["messages_total"] == stats.messages_total,
        "messages_period_equal": raw["figures"]["messages_period"] == stats.messages_period,
        "messages_previous_equal": raw["figures"]["messages_previous"] == stats.messages_previous,
        "heatmap_equal": raw["figures"]["heatmap"] == stats.heatmap,
        "members_known_reachable_equal_to_join": raw["figures"]["members_by_join"]
        == [stats.members_known, stats.members_reachable],
    }
    result = {
        "backend": "sqlite",
        "members": build["members"],
        "database_bytes": path.stat().st_size,
        "rows": build["rows"],
        "build_seconds": build["timings"]["total_s"],
        "days": args.days,
        "full_stats": _ms(handler["runs"]),
        "first_run_ms": round(handler["first_run"] * 1000, 1),
        "figures_only": _ms(handler["figures"]),
        "charts_only": _ms(handler["charts"]),
        "charts_in_one_process": _ms(handler["charts_serial"]),
        "chart_workers": handler["chart_workers"],
        "chart_workers_ready_ms": round(handler["chart_workers_ready"] * 1000, 1),
        "charts_drawn_by_workers_in_timed_runs": handler["drawn_in_pool"],
        "target_median_ms": 1000,
        "sent": handler["sent"],
        "photos": handler["photos"],
        "raw_activity_figures": _ms(raw["runs"]),
        "raw_equal_to_rollups": checks,
        "members_known_reachable": [stats.members_known, stats.members_reachable],
        "members_by_join_ms": round(raw["members_join_seconds"] * 1000, 1),
        "active_writers_raw_7d_30d": raw["figures"]["active_writers"],
        "active_members_7d_30d": [stats.active_members_7d, stats.active_members_30d],
    }
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
