"""`salonbot train | evaluate | score`: the recommender on the stored history."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.cli.database import CliError, check_exists, check_schema
from bot.common.config import Config, load_config

__all__ = ["CliError", "add_model_verbs"]


async def _with_db(config: Config, work):
    """Run `work(sessionmaker)` on the configured database, which must be migrated."""
    from storage.db import create_engine, session_factory

    check_exists(config.database.url)
    engine = create_engine(config.database.url)
    try:
        await check_schema(engine, config.database.url)
        return await work(session_factory(engine))
    finally:
        await engine.dispose()


async def _community_ids(
    db, community_id: int | None, configured: tuple[int, ...] = ()
) -> list[int]:
    """The communities to work on: the one asked for, or all (stored or `configured`)."""
    from sqlalchemy import select

    from storage.models import Community

    async with db.begin() as session:
        ids = list(await session.scalars(select(Community.id).order_by(Community.id)))
    ids = sorted(set(ids) | set(configured))
    if community_id is not None:
        if community_id not in ids:
            raise CliError(f"unknown community {community_id}")
        return [community_id]
    if not ids:
        raise CliError("no communities in the database (import history or run the bot first)")
    return ids


def cmd_train(args: argparse.Namespace) -> int:
    """Rebuild features, segments, model and scores for each community."""
    from bot.models.training import train_community

    config = load_config(args.config, require_token=False)

    async def work(db):
        for cid in await _community_ids(db, args.community_id):
            run_id = await train_community(db, config, cid)
            print(f"community {cid}: run {run_id} done", file=sys.stderr)

    asyncio.run(_with_db(config, work))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Time-split backtest of the participation model against baselines."""
    from bot.models.training import NotEnoughData, evaluate_communities

    config = load_config(args.config, require_token=False)

    async def work(db):
        ids = None if args.community_id is None else await _community_ids(db, args.community_id)
        return await evaluate_communities(db, config, ids)

    try:
        report = asyncio.run(_with_db(config, work))
    except NotEnoughData as error:
        raise CliError(f"cannot evaluate: {error}") from None
    if args.json:
        print(json.dumps(report, indent=2, default=float))
        return 0
    print(f"salons {report['events']}, pairs {report['pairs']}, signups {report['positives']}")
    print(f"{'':18}{'AUC':>8}{'AP':>8}{'P@10':>8}{'Brier':>8}")
    rows = [("model (" + report.get("model_kind", "?") + ")", report["model"])]
    rows += list(report["baselines"].items())
    for name, block in rows:
        cells = [block.get(k) for k in ("auc", "average_precision", "precision_at_10", "brier")]
        print(f"{name:18}" + "".join(f"{c:8.3f}" if c is not None else f"{'-':>8}" for c in cells))
    members = report.get("members")
    if members:
        cells = [members[k]["mean_auc"] for k in ("personal", "date_order", "popularity")]
        print(f"members' own rankings ({members['members']} members): mean AUC "
              + ", ".join(f"{k} {'-' if c is None else f'{c:.3f}'}"
                          for k, c in zip(("personal", "date order", "popularity"), cells,
                                          strict=True)))  # fmt: skip
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    """Every candidate member's probability of signing up for one salon."""
    from bot.models.training import score_salon
    from storage.salons import find_salon

    config = load_config(args.config, require_token=False)

    async def work(db):
        async with db.begin() as session:
            salon = await find_salon(args.event_id, session=session)
        if salon is None:
            raise CliError(f"unknown event id {args.event_id!r}")
        return salon, await score_salon(db, config, salon.id)

    try:
        salon, scores = asyncio.run(_with_db(config, work))
    except LookupError as error:
        raise CliError(str(error)) from None
    mean, low, high = scores.expected
    rows = [{"user_id": c.user_id, "probability": round(c.probability, 6), "segment": c.segment}
            for c in scores.candidates]  # fmt: skip
    if args.json:
        print(json.dumps({"event_id": salon.source_id or str(salon.id), "salon_id": salon.id,
                          "title": salon.title, "model": scores.kind, "reason": scores.reason,
                          "expected_signups": round(mean, 3),
                          "expected_interval": [round(low, 3), round(high, 3)],
                          "candidates": rows}, ensure_ascii=False, indent=1))  # fmt: skip
        return 0
    print(f"{salon.title}: {len(rows)} candidates, expected signups {mean:.1f} "
          f"(90 % {low:.1f}-{high:.1f}); {scores.reason}")  # fmt: skip
    for row in rows:
        print(f"{row['user_id']:>14}  {row['probability']:.3f}  {row['segment']}")
    return 0


def add_model_verbs(verbs, common: argparse.ArgumentParser) -> None:
    """Register train, evaluate and score on the CLI's sub-parsers."""
    train = verbs.add_parser("train", parents=[common], help="rebuild segments, model, scores",
                             description=cmd_train.__doc__)  # fmt: skip
    train.add_argument("--community-id", type=int, help="only this community")
    train.set_defaults(func=cmd_train)
    evaluate = verbs.add_parser("evaluate", parents=[common], help="backtest the model",
                                description=cmd_evaluate.__doc__)  # fmt: skip
    evaluate.add_argument("--community-id", type=int,
                          help="only this community (default: all, pooled)")  # fmt: skip
    evaluate.add_argument("--json", action="store_true", help="print JSON on stdout")
    evaluate.set_defaults(func=cmd_evaluate)
    score = verbs.add_parser("score", parents=[common], help="score members for a salon",
                             description=cmd_score.__doc__)  # fmt: skip
    score.add_argument("--event-id", required=True, help="the salon's imported or internal id")
    score.add_argument("--json", action="store_true", help="print JSON on stdout")
    score.set_defaults(func=cmd_score)
