"""Invitations needed to fill the same seats: ranked by the model vs popularity vs random.

    python bench/campaign_efficiency.py [--members 2000] [--salons 20] [--seats 30] [--seed 0]

A simulated community (recommender/sim/community.py) supplies the history; the participation
model is trained on it. Then 20 new salons (random topics) each have the same seats, and a
campaign invites members in waves until the seats are filled or nobody is left:
- model: ranked by predicted probability; each wave is sized with those probabilities to
  just fill the free seats (recommender/selection.wave_size);
- model_calibrated: the same, with the probabilities scaled by how the earlier campaigns'
  predictions held (selection.calibration_ratio, as bot/campaigns/service.py does);
- popularity: ranked by past salons attended (members who came most);
- random: a random order.
Popularity and random waves are sized with the community's historical signup rate of
invited members (free seats / rate). An invited member signs up with the planted model's
probability (salon_sim.planted_response), with one random draw per member and salon shared by
all strategies (common random numbers), so only the targeting differs. Signups beyond the seats
go to the waitlist ("waitlisted because over-invited"). Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender.model import ModelParams, score, train  # noqa: E402
from recommender.selection import calibration_ratio, wave_size  # noqa: E402
from recommender.sim.community import Dynamics, simulate_community  # noqa: E402
from recommender.sim.salons import planted_response  # noqa: E402
from recommender.topics import TOPIC_KEYS, TOPICS  # noqa: E402

MAX_WAVES = 20


def run_campaign(order: np.ndarray, signs_up: np.ndarray, seats: int, size_of) -> dict:
    """Invite `order` in waves of size_of(position, free seats) until the seats are filled."""
    invited = signups = waves = 0
    while signups < seats and invited < len(order) and waves < MAX_WAVES:
        size = max(1, min(size_of(invited, seats - signups), len(order) - invited))
        signups += int(signs_up[order[invited : invited + size]].sum())
        invited += size
        waves += 1
    seated = min(signups, seats)
    return {"invitations": invited, "signups": signups, "seats_filled": seated,
            "waitlisted": signups - seated, "waves": waves}  # fmt: skip


def _salons(n: int, start: pd.Timestamp, community_id: int, rng) -> pd.DataFrame:
    rows = []
    for i in range(n):
        topics = sorted(rng.choice(len(TOPIC_KEYS), size=1 + int(rng.random() < 0.3),
                                   replace=False).tolist())  # fmt: skip
        keys = [TOPIC_KEYS[t] for t in topics]
        title = " & ".join(f"{TOPICS[k]['name'][0]} salon" for k in keys)
        rows.append((10_000 + i, title, ";".join(keys)))
    return pd.DataFrame({
        "event_id": np.array([r[0] for r in rows], dtype=np.int64),
        "community_id": np.int64(community_id),
        "title": [r[1] for r in rows], "description": "", "tags": [r[2] for r in rows],
        "starts_at": start + pd.Timedelta(days=10), "capacity": np.nan, "price": 0.0,
        "created_at": start,
    })  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--salons", type=int, default=20)
    parser.add_argument("--seats", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    began = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    dynamics = Dynamics(trend=0.5, topic_drift=0.2, seed=args.seed)
    com = simulate_community(n_members=args.members, weeks=30, n_salons=12, seed=args.seed,
                             dynamics=dynamics)  # fmt: skip
    frames = (com.members, com.rollups, com.events, com.signups, com.invitations)
    trained = train(*frames, com.texts, params=ModelParams(random_state=args.seed))
    invited_hist = com.invitations[~com.invitations["holdout"]]
    yes = com.signups[com.signups["status"].isin(["yes", "waitlist"])]
    rate = len(invited_hist.merge(yes, on=["event_id", "user_id"])) / max(len(invited_hist), 1)
    attended = com.signups[com.signups["attended"] == 1.0].groupby("user_id").size()
    now = com.end
    salons = _salons(args.salons, now, int(com.members["community_id"].iloc[0]), rng)
    events = pd.concat([com.events, salons], ignore_index=True)
    results: dict[str, list[dict]] = {"model": [], "model_calibrated": [], "popularity": [],
                                      "random": []}  # fmt: skip
    record = [0.0, 0.0]  # predicted and actual signups of invited members in earlier campaigns
    for _, salon in salons.iterrows():
        truth = planted_response(com, salon["tags"].split(";"), now)
        user_ids = truth["user_id"].to_numpy()
        draws = rng.random(len(user_ids))
        signs_up = draws < truth["p_invited"].to_numpy()
        scored = score(trained, com.members, com.rollups, events, com.signups, com.invitations,
                       salon, com.texts, cutoff=now)  # fmt: skip
        p = scored.set_index("user_id")["probability"].reindex(user_ids).fillna(0.0).to_numpy()
        model_order = np.lexsort((user_ids, -p))
        came = attended.reindex(user_ids, fill_value=0).to_numpy()
        pop_order = np.lexsort((rng.random(len(user_ids)), -came))
        random_order = rng.permutation(len(user_ids))

        def by_rate(_pos: int, free: int) -> int:
            return math.ceil(free / max(rate, 1e-3))

        def by_model(pos: int, free: int, p=p, order=model_order) -> int:
            return wave_size(p[order[pos:]], free)

        results["model"].append(run_campaign(model_order, signs_up, args.seats, by_model))
        calibrated = np.clip(p * calibration_ratio(*record), 0.0, 0.99)

        def by_calibrated(pos: int, free: int, p=calibrated, order=model_order) -> int:
            return wave_size(p[order[pos:]], free)

        outcome = run_campaign(model_order, signs_up, args.seats, by_calibrated)
        results["model_calibrated"].append(outcome)
        reached = model_order[: outcome["invitations"]]
        record[0] += float(p[reached].sum())
        record[1] += float(signs_up[reached].sum())
        results["popularity"].append(run_campaign(pop_order, signs_up, args.seats, by_rate))
        results["random"].append(run_campaign(random_order, signs_up, args.seats, by_rate))

    def summary(rows: list[dict]) -> dict:
        total = {k: sum(r[k] for r in rows) for k in rows[0]}
        return {**total, "invitations_per_signup": round(
            total["invitations"] / max(total["seats_filled"], 1), 2),
            "salons_filled": sum(r["seats_filled"] == args.seats for r in rows)}  # fmt: skip

    out = {name: summary(rows) for name, rows in results.items()}
    for name in ("model", "model_calibrated"):
        out[f"{name}_vs_popularity_invitations"] = round(
            out[name]["invitations"] / max(out["popularity"]["invitations"], 1), 3
        )
    out["setup"] = {"members": args.members, "salons": args.salons, "seats": args.seats,
                    "seed": args.seed, "historical_invited_signup_rate": round(rate, 4),
                    "model": trained.reason,
                    "seconds": round(time.perf_counter() - began, 1)}  # fmt: skip
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
