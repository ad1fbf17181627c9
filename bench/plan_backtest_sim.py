"""The simulator rows of the "plan" backtest in docs/models.md.

    python bench/plan_backtest_sim.py [--members 1000 --weeks 60 --salons 40 --seed 11]

`community`: a simulated community with growing signups and drifting topic demand
(`Dynamics(trend=1.5, topic_drift=0.3, seed=SEED)`, chat texts on) written as history CSV,
imported into a fresh SQLite database with `salonbot migrate` and `salonbot import history`,
then the "plan" key of `salonbot evaluate --json` (member model for sum_p included).
`small`: the three communities of tests/recommender/test_plans.py (300 members, 40 weeks,
30 salons, trend=2.0, seeds 1-3), backtested in memory without sum_p as the test does.
Prints JSON; progress on stderr. About 15 s on a loaded 2-core machine.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path

from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.cli import main  # noqa: E402
from recommender.plan_evaluation import plan_backtest  # noqa: E402
from recommender.plans import salon_table, signup_counts  # noqa: E402
from recommender.sim.community import Dynamics, simulate_community, write_history_csv  # noqa: E402

COMMUNITY_ID = -1001234567890


def _cli(*args: str) -> str:
    """Run a salonbot verb in this process; its stdout (stderr is shown)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(args))
    if code != 0:
        raise SystemExit(f"salonbot {args[0]} exited {code}")
    return out.getvalue()


def community_plan(members: int, weeks: int, salons: int, seed: int, bar: tqdm) -> dict:
    """The "plan" key of `salonbot evaluate --json` on the imported simulated community."""
    dynamics = Dynamics(trend=1.5, topic_drift=0.3, seed=seed)
    com = simulate_community(n_members=members, weeks=weeks, n_salons=salons, seed=seed,
                             community_id=COMMUNITY_ID, dynamics=dynamics)  # fmt: skip
    bar.update()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        write_history_csv(com, work / "history")
        config = work / "config.toml"
        config.write_text(
            f'[telegram]\ntoken = "123456:BENCH"\n[database]\n'
            f'url = "sqlite+aiosqlite:///{work / "db.sqlite"}"\nmigrate_on_start = false\n'
            f'[models]\nmodel_dir = "{work / "models"}"\n'
            f'[[communities]]\nchat_id = {COMMUNITY_ID}\ntitle = "sim"\n',
            encoding="utf-8",
        )
        _cli("migrate", "--config", str(config))
        _cli("import", "history", str(work / "history"), "--config", str(config))
        bar.update()
        plan = json.loads(_cli("evaluate", "--config", str(config), "--json"))["plan"]
    bar.update()
    return plan


def small_plans(bar: tqdm) -> list[dict]:
    """plan_backtest of the three communities of test_backtest_beats_the_previous_mean..."""
    reports = []
    for seed in (1, 2, 3):
        dynamics = Dynamics(trend=2.0, topic_drift=0.3, seed=seed)
        com = simulate_community(n_members=300, weeks=40, n_salons=30, seed=seed,
                                 with_texts=False, dynamics=dynamics)  # fmt: skip
        counts = signup_counts(com.events, com.signups)
        report = plan_backtest(salon_table(com.events, counts, com.members))
        reports.append({"seed": seed, **report})
        bar.update()
    return reports


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=60)
    parser.add_argument("--salons", type=int, default=40)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tqdm(total=6, desc="plan backtest (simulated)", file=sys.stderr) as bar:
        community = community_plan(args.members, args.weeks, args.salons, args.seed, bar)
        result = {"community": community, "small": small_plans(bar)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    run()
