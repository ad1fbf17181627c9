"""The member model against the simulator's planted model in a community of the demo's size.

    python bench/member_model_small.py [--members 300] [--seeds 0 1 2 3 4 5]

For each seed: a community as `salonbot demo` simulates it (8 weeks, 6 past salons), the
participation model trained on it, and a new salon on the community's favourite topic (the
demo's first salon: title only, no description) scored at the end of the history. Its
probabilities are compared with the planted ones (recommender/sim/salons.planted_response,
`p_invited`, which is what an invited member follows):
- auc: ranking against outcomes drawn from the planted probabilities (mean of 30 draws), next
  to the planted probabilities' own AUC (the best any ranking gets) and popularity's;
- spearman with the planted probabilities; sum_p and planted_sum over invitable members;
- to_10: invitable members to invite, best first, until the planted model expects 10 signups
  (by the model's order, by popularity = salons joined, and by the planted order);
- wave_10: the members a wave needs when it is sized with the model's own probabilities to 10
  expected signups (recommender/selection.wave_size), and the signups the planted model
  expects of that wave;
- the Spearman correlation of each topic feature with the planted topic match (the member's
  interest share in the salon's topics), over all members and over members with texts.
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from recommender.model import predict_pairs, train  # noqa: E402
from recommender.pairs import PairSources, eligible_members, pairs_for  # noqa: E402
from recommender.selection import wave_size  # noqa: E402
from recommender.sim.community import simulate_community  # noqa: E402
from recommender.sim.salons import planted_response  # noqa: E402
from recommender.topics import TOPIC_KEYS, TOPICS  # noqa: E402

TOPIC_FEATURES = ("tag_affinity", "text_similarity", "text_lift")


def _rho(a, b) -> float | None:
    """Spearman correlation, None where a feature is constant (no earlier salon on the tag)."""
    value = float(spearmanr(a, b).statistic) if np.ptp(np.asarray(a, dtype=float)) else np.nan
    return None if np.isnan(value) else round(value, 3)


def _to_reach(order: np.ndarray, planted: np.ndarray, target: float = 10.0) -> int:
    """Members invited in `order` until the planted expected signups reach `target`."""
    return wave_size(planted[order], target)


def one_seed(members: int, seed: int) -> dict:
    """The figures of one simulated community."""
    now = pd.Timestamp("2026-01-01", tz="UTC")
    com = simulate_community(members, weeks=8, n_salons=6, seed=seed,
                             start=now - pd.Timedelta(weeks=8))  # fmt: skip
    trained = train(com.members, com.rollups, com.events, com.signups, com.invitations, com.texts)
    tag = TOPIC_KEYS[int(np.argmax(com.interests.sum().to_numpy()))]
    topic = TOPICS[tag]
    event = pd.Series({
        "event_id": 10_000, "community_id": int(com.members["community_id"].iloc[0]),
        "title": f"{topic['name'][1]}沙龙：{topic['zh'][0]} · {topic['name'][0]} salon: "
                 f"{topic['en'][0]}",
        "description": "", "tags": tag, "starts_at": now + pd.Timedelta(days=7),
        "capacity": 10.0, "price": 0.0, "created_at": now,
    })  # fmt: skip
    events = pd.concat([com.events, event.to_frame().T.astype(com.events.dtypes)])
    sources = PairSources.of(com.members, com.rollups, events, com.signups, com.invitations,
                             com.texts)  # fmt: skip
    pairs = pairs_for(sources, event, eligible_members(com.members, event, now), now)
    p = predict_pairs(trained, pairs)
    truth = planted_response(com, [tag], now).set_index("user_id").loc[pairs["user_id"]]
    planted, match = truth["p_invited"].to_numpy(), truth["match"].to_numpy()
    member = com.members.set_index("user_id").loc[pairs["user_id"]]
    invitable = (member["reachable"] & ~member["invite_opt_out"]).to_numpy()
    rng = np.random.default_rng([seed, 18])
    draws = [rng.random(len(planted)) < planted for _ in range(30)]
    popularity = pairs["joined"].to_numpy() + 1e-3 * pairs["messages_90d"].to_numpy()

    def auc(score: np.ndarray) -> float:
        return round(float(np.mean([roc_auc_score(d, score) for d in draws])), 3)

    pi, ppl = p[invitable], planted[invitable]
    by_model = np.argsort(-pi, kind="stable")
    wave = wave_size(pi[by_model], 10.0)
    wave_signups = float(ppl[by_model][:wave].sum())
    texted = pairs["texts_90d"].to_numpy() > 0
    return {
        "seed": seed, "tag": tag, "kind": trained.kind,
        "positives": int(trained.metrics["positives"]),
        "auc": {"model": auc(p), "planted": auc(planted), "popularity": auc(popularity)},
        "spearman": round(float(spearmanr(p, planted).statistic), 3),
        "sum_p": round(float(pi.sum()), 1), "planted_sum": round(float(ppl.sum()), 1),
        "to_10": {
            "model": _to_reach(by_model, ppl),
            "popularity": _to_reach(np.argsort(-popularity[invitable], kind="stable"), ppl),
            "planted": _to_reach(np.argsort(-ppl, kind="stable"), ppl),
        },
        "wave_10": {"members": wave, "planted_signups": round(wave_signups, 1)},
        "match_spearman": {
            f: [_rho(pairs[f], match), _rho(pairs[f][texted], match[texted])]
            for f in TOPIC_FEATURES
        },
        "members_with_texts": round(float(texted.mean()), 2),
    }  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=300)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    args = parser.parse_args()
    runs = [one_seed(args.members, seed) for seed in args.seeds]
    mean = {
        "auc_model": np.mean([r["auc"]["model"] for r in runs]),
        "auc_planted": np.mean([r["auc"]["planted"] for r in runs]),
        "auc_popularity": np.mean([r["auc"]["popularity"] for r in runs]),
        "to_10_model": np.mean([r["to_10"]["model"] for r in runs]),
        "to_10_popularity": np.mean([r["to_10"]["popularity"] for r in runs]),
        "to_10_planted": np.mean([r["to_10"]["planted"] for r in runs]),
        "wave_10_members": np.mean([r["wave_10"]["members"] for r in runs]),
    }
    print(json.dumps({"runs": runs, "mean": {k: round(float(v), 3) for k, v in mean.items()}},
                     ensure_ascii=False, indent=1))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
