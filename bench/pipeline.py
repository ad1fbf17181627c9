"""Benchmark: the nightly model run on a large community, next to naive raw-row features.

Builds (or reuses, with `--database`) a file-backed SQLite database of a simulated community
(`bench/stats_data.py`: by default 200,000 members, two years of rollups and raw messages,
100 salons), adds one upcoming salon, then

- runs `bot.models.training.train_community` -- what `salonbot train` and the nightly job run:
  activity aggregates, member features, segmentation, training pairs, the model, the
  backtest, every member's score for the upcoming salon, and the writes -- and prints the
  seconds of each stage (recorded with the run) and the peak memory of this process;
- runs `bot.models.training.score_salon` (`salonbot score`) for that salon;
- times the real path's activity features (7/30/90-day counts, recency, tenure, hour
  profile) of every member at one cutoff: SQL aggregates of the rollups +
  `recommender.features.activity_features`;
- and, in a child process (its own peak memory), the naive baseline: the same activity
  features of every member computed in pandas from the raw `group_messages` rows.

The database is written to (a model run, segments, scores): point `--database` at a copy.

    python bench/pipeline.py [--members 200000] [--database PATH] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import pandas as pd  # noqa: E402
from sqlalchemy import select  # noqa: E402

from bench.pipeline_naive import naive_features  # noqa: E402
from bench.stats_data import COMMUNITY, build_database  # noqa: E402
from bot.common.config import parse_config  # noqa: E402
from bot.models.history import fetch_activity, load_history  # noqa: E402
from bot.models.training import score_salon, train_community  # noqa: E402
from recommender.activity import as_of  # noqa: E402
from recommender.features import activity_features  # noqa: E402
from recommender.pairs import Sampling  # noqa: E402
from storage.db import create_engine, session_factory  # noqa: E402
from storage.models import ModelRun, Salon  # noqa: E402
from storage.salons import NewSalon, add_salon  # noqa: E402
from storage.types import utcnow  # noqa: E402


def peak_mb() -> float:
    """This process's peak resident memory in MB (ru_maxrss is in KiB on Linux)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def own_peak_mb() -> float:
    """Peak resident memory of this program alone (VmHWM: ru_maxrss of a child started by a
    larger parent keeps the parent's figure across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return peak_mb()


async def upcoming_salon(db) -> int:
    """The community's next salon, added (announced now, in ten days) if there is none."""
    now = utcnow()
    async with db.begin() as session:
        found = await session.scalar(
            select(Salon.id).where(Salon.community_id == COMMUNITY, Salon.starts_at >= now)
        )
        if found is not None:
            return int(found)
        salon = await add_salon(
            NewSalon(COMMUNITY, "大模型读书会 LLM reading night", now + timedelta(days=10), 40,
                     tags=("ai", "books"), description="一起读 agents 论文"),
            session=session,
        )  # fmt: skip
        return salon.id


async def run_pipeline(url: str, model_dir: str) -> dict:
    """train_community + score_salon through the real code, with stage seconds and memory."""
    config = parse_config({"database": {"url": url, "migrate_on_start": False},
                           "models": {"model_dir": model_dir}}, require_token=False)  # fmt: skip
    engine = create_engine(url)
    db = session_factory(engine)
    try:
        salon_id = await upcoming_salon(db)
        started = time.perf_counter()
        run_id = await train_community(db, config, COMMUNITY, progress=True)
        train_s = time.perf_counter() - started
        train_peak = peak_mb()
        async with db.begin() as session:
            run = await session.get(ModelRun, run_id)
            metrics = dict(run.metrics or {})
        started = time.perf_counter()
        scores = await score_salon(db, config, salon_id)
        score_s = time.perf_counter() - started
        history = await load_history(db, config, COMMUNITY, Sampling(panel_size=0))
        started = time.perf_counter()
        now = pd.Timestamp(utcnow())
        ids = history.members["user_id"].to_numpy()
        await fetch_activity(db, history, [(COMMUNITY, as_of(now), ids)])
        aggregates = history.activity.aggregates(COMMUNITY, as_of(now), ids)
        features = activity_features(aggregates, history.members["joined_at"], now)
        features_s = time.perf_counter() - started
    finally:
        await engine.dispose()
    backtest = metrics.get("backtest") or {}
    return {
        "pipeline_s": round(train_s, 2),
        "stages_s": metrics.get("stage_seconds"),
        "peak_memory_mb": train_peak,
        "members": len(ids),
        "training_pairs": metrics.get("n_pairs"),
        "training_events": metrics.get("events"),
        "segments_k": metrics.get("segments_k"),
        "backtest_auc": (backtest.get("model") or {}).get("auc"),
        "backtest_popularity_auc": ((backtest.get("baselines") or {}).get("popularity") or {}).get(
            "auc"
        ),  # fmt: skip
        "score_salon_s": round(score_s, 2),
        "scored_members": len(scores.candidates),
        "expected_signups": round(scores.expected[0], 1),
        "features_now_s": round(features_s, 2),
        "features_now_members": len(features),
        "peak_memory_mb_after_all": peak_mb(),
    }


def run_baseline(path: str) -> dict:
    """The naive raw-row features in a child process, so its memory is its own."""
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--database", path,
                          "--naive-only"], capture_output=True, text=True, check=True)  # fmt: skip
    return json.loads(out.stdout)


def main(argv: list[str] | None = None) -> int:
    """Build or reuse the database, run the pipeline and the baseline, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--database", help="SQLite file to use (built there if missing)")
    parser.add_argument("--raw-days", type=int, default=730, help="days of raw message rows")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive baseline")
    parser.add_argument("--naive-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args(argv)
    path = Path(args.database or Path(tempfile.mkdtemp(prefix="salonbot-pipe-")) / "pipe.db")
    if args.naive_only:
        started = time.perf_counter()
        features = naive_features(str(path), COMMUNITY, pd.Timestamp(utcnow()))
        print(json.dumps({"seconds": round(time.perf_counter() - started, 2),
                          "members": len(features), "peak_memory_mb": own_peak_mb(),
                          **features.attrs}))  # fmt: skip
        return 0
    result: dict = {"database": str(path)}
    if not path.exists():
        started = time.perf_counter()
        result["build"] = build_database(str(path), args.members, raw_days=args.raw_days)
        result["build_s"] = round(time.perf_counter() - started, 1)
    url = f"sqlite+aiosqlite:///{path}"
    with tempfile.TemporaryDirectory(prefix="salonbot-models-") as models:
        result["pipeline"] = asyncio.run(run_pipeline(url, models))
    if not args.no_baseline:
        naive = run_baseline(str(path))
        result["naive_baseline"] = naive
        pipeline = result["pipeline"]
        result["features_speedup"] = round(naive["seconds"] / pipeline["features_now_s"], 1)
        # Not measured: the naive path at every cutoff a run needs (reading the rows once).
        cutoffs = (pipeline["training_events"] or 0) + 1
        result["naive_run_estimate_s"] = round(naive["read_s"] + cutoffs * naive["compute_s"])
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        p = result["pipeline"]
        print(
            f"pipeline {p['pipeline_s']} s, peak {p['peak_memory_mb']} MB, stages {p['stages_s']}"
        )
        print(
            f"score_salon {p['score_salon_s']} s; features of {p['features_now_members']} "
            f"members at one cutoff {p['features_now_s']} s"
        )
        if "naive_baseline" in result:
            n = result["naive_baseline"]
            print(
                f"naive raw-row features {n['seconds']} s, peak {n['peak_memory_mb']} MB "
                f"({n.get('raw_rows')} raw rows); at every cutoff of a run about "
                f"{result['naive_run_estimate_s']} s"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
