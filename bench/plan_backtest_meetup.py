"""The "plan" backtest (salon-level model, with the member model's sum of probabilities) on
the Meetup DC RSVPs, every group pooled as in `salonbot evaluate`.

    python bench/plan_backtest_meetup.py [--data ../shared/data/meetup-dc] [--groups N]

The data is read at run time (bench/meetup_to_history.py says how it maps: a group is a
community, an event a salon, an RSVP yes or waitlist a signup); nothing of it is committed.
The history goes to the recommender in memory, without a database: pairs of every salon at
its cutoff (sampled as ModelParams says), the member model's backtest (`members`: AUC etc.
of the latest 30 % of salons) and recommender.plan_evaluation.evaluate_plans (`plan`: MAE,
Spearman and 80 % coverage of the salon model with sum_p, without it, sum_p alone and the
mean of the previous salons). `--groups N` keeps the N groups with most events (for a
quick run). Prints JSON; progress on stderr. About 7 minutes for all 735 groups on a
loaded 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.meetup_to_history import read_tables  # noqa: E402
from recommender import frames  # noqa: E402
from recommender.evaluation import backtest_pairs, split_events  # noqa: E402
from recommender.model import ModelParams  # noqa: E402
from recommender.pairs import build_pairs  # noqa: E402
from recommender.plan_evaluation import evaluate_plans  # noqa: E402
from recommender.plans import signup_counts  # noqa: E402


def largest(tables: tuple, groups: int | None) -> tuple:
    """The tables of the `groups` groups with most events (all when None)."""
    members, events, signups = tables
    if groups is None:
        return tables
    keep = events.groupby("community_id").size().sort_values(ascending=False, kind="stable")
    keep = set(keep.index[:groups])
    events = events[events["community_id"].isin(keep)]
    return (members[members["community_id"].isin(keep)], events,
            signups[signups["event_id"].isin(events["event_id"])])  # fmt: skip


def history_frames(members: pd.DataFrame, events: pd.DataFrame, signups: pd.DataFrame) -> dict:
    """The recommender's frames (recommender/frames.py) from the history CSV tables: event
    ids numbered in sorted order, no join dates, no chat activity, no invitations."""
    codes = {e: i + 1 for i, e in enumerate(sorted(events["event_id"].astype(str)))}
    n_members, n_events = len(members), len(events)

    def never(n: int) -> pd.Series:
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns, UTC]")

    def utc(values: pd.Series) -> pd.Series:
        return pd.to_datetime(values, utc=True).reset_index(drop=True).dt.as_unit("ns")

    return {
        "members": pd.DataFrame({
            "community_id": members["community_id"].to_numpy(dtype=np.int64),
            "user_id": members["user_id"].to_numpy(dtype=np.int64),
            "joined_at": never(n_members),
            "reachable": np.ones(n_members, dtype=bool),
            "invite_opt_out": np.zeros(n_members, dtype=bool),
        }),
        "rollups": frames.empty_frame(frames.ROLLUPS),
        "events": pd.DataFrame({
            "event_id": events["event_id"].astype(str).map(codes).to_numpy(dtype=np.int64),
            "community_id": events["community_id"].to_numpy(dtype=np.int64),
            "title": events["title"].to_numpy(dtype=object),
            "description": "",
            "tags": events["tags"].to_numpy(dtype=object),
            "starts_at": utc(events["starts_at"]),
            "capacity": np.nan,
            "price": np.nan,
            "created_at": never(n_events),
        }),
        "signups": pd.DataFrame({
            "event_id": signups["event_id"].astype(str).map(codes).to_numpy(dtype=np.int64),
            "user_id": signups["user_id"].to_numpy(dtype=np.int64),
            "status": signups["response"].to_numpy(dtype=object),
            "responded_at": utc(signups["responded_at"]),
            "attended": np.nan,
            "rating": np.nan,
        }),
        "invitations": frames.empty_frame(frames.INVITATIONS),
    }  # fmt: skip


def run(history: dict, params: ModelParams | None = None, progress: bool = False) -> dict:
    """The member model's backtest and the plan backtest on the frames of history_frames."""
    params = params or ModelParams()
    members, events, signups = history["members"], history["events"], history["signups"]
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    train_ids, test_ids = split_events(events, 0.3)
    pairs = build_pairs(members, history["rollups"], events, signups, history["invitations"],
                        train_ids + test_ids, progress=progress,
                        sampling=params.sampling())  # fmt: skip
    seconds["pairs"] = round(time.perf_counter() - started, 1)
    member_report = backtest_pairs(pairs, events, params=params)
    seconds["member_backtest"] = round(time.perf_counter() - started - sum(seconds.values()), 1)
    if progress:
        print(f"member model: {member_report['reason']}", file=sys.stderr)
    plan = evaluate_plans(pairs, members, events, signup_counts(events, signups),
                          params=params, progress=progress)  # fmt: skip
    seconds["plan_backtest"] = round(time.perf_counter() - started - sum(seconds.values()), 1)
    return {
        "data": {"groups": int(events["community_id"].nunique()), "salons": len(events),
                 "members": len(members), "rsvps": len(signups),
                 "signups": int(signups["status"].isin(frames.POSITIVE_STATUSES).sum())},
        "members": {k: member_report[k] for k in ("events", "pairs", "positives",
                                                  "model_kind", "reason", "model",
                                                  "baselines")},
        "plan": plan,
        "seconds": seconds,
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = Path(__file__).resolve().parents[2] / "shared" / "data" / "meetup-dc"
    parser.add_argument("--data", type=Path, default=default)
    parser.add_argument(
        "--groups", type=int, default=None, help="only the N groups with most events (default: all)"
    )
    parser.add_argument("--seed", type=int, default=0, help="ModelParams.random_state")
    args = parser.parse_args()
    if not (args.data / "rsvp_dc_train.csv").exists():
        print(f"meetup data not found in {args.data}", file=sys.stderr)
        return 2
    history = history_frames(*largest(read_tables(args.data), args.groups))
    report = run(history, ModelParams(random_state=args.seed), progress=True)
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
