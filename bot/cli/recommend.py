"""`salonbot recommend`: a member's upcoming salons, ranked for them (text or JSON)."""

from __future__ import annotations

import argparse
import asyncio
import json

from bot.cli.models import CliError, _with_db
from bot.common.config import load_config


def cmd_recommend(args: argparse.Namespace) -> int:
    """Print the member's upcoming salons, most fitting first, with probability and reason."""
    from bot.recommendations.service import UnknownMember, as_json, member_communities, recommend

    config = load_config(args.config, require_token=False)

    async def work(db):
        async with db.begin() as session:
            try:
                ids = await member_communities(args.user_id, args.community_id, session=session)
            except UnknownMember as error:
                raise CliError(str(error)) from None
            return as_json(await recommend(args.user_id, ids, session=session))

    report = asyncio.run(_with_db(config, work))
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    if not report["salons"]:
        print("no upcoming salons")
    for row in report["salons"]:
        mark = " (signed up)" if row["signed_up"] else ""
        print(f"{row['probability']:.3f}  {row['starts_at'][:16]}  {row['title']}{mark}"
              f"  [{row['event_id']}]  {row['reason']}")  # fmt: skip
    return 0


def add_recommend_verb(verbs, common: argparse.ArgumentParser) -> None:
    """Register `recommend` on the CLI's sub-parsers."""
    sub = verbs.add_parser("recommend", parents=[common], help="a member's salons, ranked",
                           description=cmd_recommend.__doc__)  # fmt: skip
    sub.add_argument("--user-id", type=int, required=True, help="the member's Telegram user id")
    sub.add_argument("--community-id", type=int, help="only this community (default: theirs)")
    sub.add_argument("--json", action="store_true", help="print JSON on stdout")
    sub.set_defaults(func=cmd_recommend)
