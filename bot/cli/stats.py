"""`salonbot stats`: the /stats figures on the command line (text or JSON), charts as PNG."""

from __future__ import annotations

import argparse
import asyncio
import json
from pathlib import Path

from bot.campaigns.uplift import with_uplift
from bot.cli.models import CliError, _community_ids, _with_db
from bot.common.config import load_config
from storage.stats import MAX_DAYS


def cmd_stats(args: argparse.Namespace) -> int:
    """Print a community's figures; --charts DIR also writes the four charts."""
    from bot.stats.charts import community_charts
    from bot.stats.texts import community_text
    from storage.stats import get_community_stats
    from storage.users import CommunityInfo, upsert_communities

    if not 1 <= args.days <= MAX_DAYS:
        raise CliError(f"--days must be between 1 and {MAX_DAYS}")
    config = load_config(args.config, require_token=False)

    async def work(db):
        configured = tuple(c.chat_id for c in config.communities)
        ids = await _community_ids(db, args.community_id, configured)
        if len(ids) > 1:
            raise CliError(
                f"several communities: choose one with --community-id ({', '.join(map(str, ids))})"
            )
        async with db.begin() as session:
            # A configured community the bot has not served yet: its figures are zeros.
            await upsert_communities(
                [CommunityInfo(c.chat_id, c.title, c.timezone, c.language)
                 for c in config.communities if c.chat_id == ids[0]],
                session=session,
            )  # fmt: skip
            return await get_community_stats(
                ids[0],
                session=session,
                days=args.days,
                stale_after_days=config.models.stale_after_days,
            )

    stats = with_uplift(asyncio.run(_with_db(config, work)))
    if args.charts:
        folder = Path(args.charts)
        folder.mkdir(parents=True, exist_ok=True)
        for chart in community_charts(stats, args.lang):
            (folder / chart.name).write_bytes(chart.png)
    if args.json:
        print(json.dumps(stats.to_json(), ensure_ascii=False, indent=1))
    else:
        print(community_text(stats, args.lang))
    return 0


def add_stats_verb(verbs, common: argparse.ArgumentParser) -> None:
    """Register `stats` on the CLI's sub-parsers."""
    stats = verbs.add_parser(
        "stats",
        parents=[common],
        help="community figures (as /stats)",
        description=cmd_stats.__doc__,
    )
    stats.add_argument("--community-id", type=int, help="the community (needed if several)")
    stats.add_argument("--days", type=int, default=30, help="the period in days (default 30)")
    stats.add_argument("--json", action="store_true", help="print JSON on stdout")
    stats.add_argument("--charts", metavar="DIR", help="write the charts as PNG files here")
    stats.add_argument(
        "--lang",
        "--language",
        dest="lang",
        choices=("zh", "en"),
        default="en",
        help="language of the text and the charts (default en)",
    )
    stats.set_defaults(func=cmd_stats)
