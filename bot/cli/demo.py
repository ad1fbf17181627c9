"""`salonbot demo`: the whole loop offline on a simulated community; no token, no network."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _members(value: str) -> int:
    number = int(value)
    if not 20 <= number <= 5000:
        raise argparse.ArgumentTypeError("between 20 and 5000")
    return number


def cmd_demo(args: argparse.Namespace) -> int:
    """Run the demo and print its transcript."""
    from bot.demo.driver import DemoError
    from bot.demo.run import DemoOptions, run_demo

    options = DemoOptions(members=args.members, seed=args.seed, out=args.out,
                          language=args.lang)  # fmt: skip
    try:
        return run_demo(options)
    except DemoError as error:
        print(f"salonbot: demo failed: {error}", file=sys.stderr)
        return 1


def add_demo_parser(verbs) -> None:
    """Register `demo` on the CLI's sub-parsers."""
    demo = verbs.add_parser(
        "demo", help="the whole loop offline on a simulated community",
        description="Run the real bot against a local Bot API sandbox with a simulated "
        "community: training, a salon, invitations, answers, reminders, check-in, feedback.",
    )  # fmt: skip
    demo.add_argument("--members", type=_members, default=300, help="community size (300)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (0)")
    out_help = "folder for the database, transcript and charts (./demo-output)"
    demo.add_argument("--out", type=Path, default=Path("demo-output"), help=out_help)
    demo.add_argument("--lang", "--language", dest="lang", choices=("zh", "en"), default="en",
                      help="language of the narration (members get their own)")  # fmt: skip
    demo.set_defaults(func=cmd_demo)
