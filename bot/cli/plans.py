"""`salonbot plan`: predicted signups, attendance and revenue of alternative salon plans."""

from __future__ import annotations

import argparse
import asyncio
import json

from bot.cli.models import CliError, _community_ids, _with_db
from bot.common.config import load_config
from bot.salons.input import InputError, parse_one_liner

MAX_OPTIONS = 6


def _untranslated(message: str) -> str:
    return message


def report_json(report) -> dict:
    """The JSON of `salonbot plan --json` (docs/data-formats.md)."""
    options = [{
        "title": o.title,
        "starts_at": o.starts_at.isoformat(),
        "capacity": o.capacity,
        "tags": list(o.tags),
        "price": o.price[0], "currency": o.price[1],
        "expected_signups": round(o.expected_signups, 2),
        "signups_low": round(o.signups_low, 2),
        "signups_high": round(o.signups_high, 2),
        "expected_attendance": round(o.expected_attendance, 2),
        "expected_revenue": round(o.expected_revenue, 2),
        "seats_left": round(o.seats_left, 2),
        "waitlist": round(o.waitlist, 2),
        "segments": {k: round(v, 2) for k, v in o.segments.items()},
    } for o in report.options]  # fmt: skip
    slot = None if report.slot is None else {"weekday": report.slot[0], "hour": report.slot[1]}
    return {"options": options, "best": report.best, "basis": report.basis,
            "model": report.reason, "suggested_slot": slot,
            "unmet_tags": report.tags}  # fmt: skip


def cmd_plan(args: argparse.Namespace) -> int:
    """Compare candidate plans of a salon with the community's models."""
    from bot.plans.service import predict_plans

    config = load_config(args.config, require_token=False)
    if not args.option or len(args.option) > MAX_OPTIONS:
        raise CliError(f"give 1 to {MAX_OPTIONS} --option values")
    try:
        options = [parse_one_liner(text, default_currency=config.payments.default_currency,
                                   has_provider=True) for text in args.option]  # fmt: skip
    except InputError as error:
        raise CliError(f"bad --option: {error.text(_untranslated)}") from None

    async def work(db):
        await _community_ids(db, args.community_id)
        return await predict_plans(db, config, args.community_id, options)

    try:
        report = asyncio.run(_with_db(config, work))
    except InputError as error:
        raise CliError(error.text(_untranslated)) from None
    data = report_json(report)
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=1))
        return 0
    for i, o in enumerate(data["options"]):
        mark = "*" if i == data["best"] else " "
        print(f"{mark} {i}. {o['title']} {o['starts_at']}: signups {o['expected_signups']:.1f} "
              f"(80 % {o['signups_low']:.1f}-{o['signups_high']:.1f}), attendance "
              f"{o['expected_attendance']:.1f}, revenue {o['expected_revenue']:.2f}")  # fmt: skip
    print(f"best: {data['best']} (by {data['basis']}); {data['model']}")
    return 0


def add_plan_verb(verbs, common: argparse.ArgumentParser) -> None:
    """Register `plan` on the CLI's sub-parsers."""
    plan = verbs.add_parser("plan", parents=[common], help="compare salon plans",
                            description=cmd_plan.__doc__)  # fmt: skip
    plan.add_argument("--community-id", type=int, required=True, help="the community")
    plan.add_argument("--option", action="append", metavar="PLAN",
                      help='"<title> | <YYYY-MM-DD HH:MM> | <capacity> [| <place> [| <tags> '
                           '[| <price>]]]" (repeat for each plan)')  # fmt: skip
    plan.add_argument("--json", action="store_true", help="print JSON on stdout")
    plan.set_defaults(func=cmd_plan)
