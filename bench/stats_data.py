"""A large simulated community in a file-backed SQLite database, for bench/stats.py.

`recommender.sim.community.simulate_community` draws members, two years of daily rollups, salons
and signups (and the invitations of its simulated history); they are written with bulk
`executemany` inserts straight through sqlite3 (the CSV importer would take hours at this
size). The simulation ends today, so the last 30/90 days hold activity. On top of the
simulator's data, seeded with the same seed:

- 1 % of the members left the community at a random time in the last 90 days;
- the salons that started in the last 90 days get a finished campaign whose invitations are
  the simulator's invitations of that salon (holdout included), each with a probability
  drawn from Beta(2, 8);
- one model run with a backtest and every member's segment (the simulator's member type).

Raw `group_messages` rows are generated for the last `raw_days` days (what the raw-message
comparison in bench/stats.py reads).
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from recommender.selection import uplift_interval
from recommender.sim.community import simulate_community
from storage.migrate import upgrade

COMMUNITY = -1001234567890
CHUNK = 100_000
STATUS = {"yes": "going", "no": "declined", "waitlist": "waitlist", "maybe": "maybe"}


def _ts(values: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """SQLAlchemy's SQLite storage format of aware UTC timestamps ('' -> None for NaT)."""
    naive = pd.DatetimeIndex(values).tz_convert(None).to_numpy().astype("datetime64[us]")
    text = np.char.replace(np.datetime_as_string(naive, unit="us"), "T", " ")
    out = text.astype(object)
    out[np.isnat(naive)] = None
    return out


def _insert(db: sqlite3.Connection, table: str, columns: dict[str, Iterable]) -> int:
    names = list(columns)
    rows = list(zip(*columns.values(), strict=True))
    marks = ",".join("?" * len(names))
    db.executemany(f"INSERT INTO {table} ({','.join(names)}) VALUES ({marks})", rows)
    return len(rows)


def _chunks(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    for lo in range(0, len(frame), CHUNK):
        yield frame.iloc[lo : lo + CHUNK]


def _py(values) -> list:
    """numpy values as Python ints/floats/None (sqlite3 binds no numpy scalars)."""
    return [
        None if v is None or (isinstance(v, float) and np.isnan(v)) else v
        for v in np.asarray(values, dtype=object).tolist()
    ]


def build_database(path: str, members: int, seed: int = 0, raw_days: int = 30) -> dict:
    """Simulate and write the community; returns row counts and the seconds each step took."""
    started = time.perf_counter()
    now = datetime.now(UTC).replace(microsecond=0)
    today = pd.Timestamp(now).floor("D")
    weeks = 104
    community = simulate_community(
        n_members=members,
        weeks=weeks,
        n_salons=100,
        seed=seed,
        community_id=COMMUNITY,
        with_texts=False,
        start=today - pd.Timedelta(weeks=weeks) + pd.Timedelta(days=1),
    )
    timings = {"simulate_s": round(time.perf_counter() - started, 1)}
    upgrade(f"sqlite+aiosqlite:///{path}")
    db = sqlite3.connect(path, isolation_level=None)
    # Built once and thrown away: no journal, a large page cache.
    db.execute("PRAGMA journal_mode=OFF")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("PRAGMA cache_size=-2000000")
    db.execute("BEGIN")
    stamp = _ts(pd.DatetimeIndex([now]))[0]
    counts = {}
    rng = np.random.default_rng(seed + 1)
    counts["communities"] = _insert(
        db,
        "communities",
        {
            "id": [COMMUNITY],
            "title": ["读书会 Reading Club"],
            "timezone": ["Asia/Shanghai"],
            "language": ["zh"],
            "created_at": [stamp],
        },
    )
    m = community.members
    n = len(m)
    ids = _py(m["user_id"])
    counts["users"] = _insert(
        db,
        "users",
        {
            "id": ids,
            "first_name": [f"M{u}" for u in ids],
            "is_bot": [0] * n,
            "dm_status": np.where(m["reachable"], "reachable", "unknown").tolist(),
            "tracking_opt_out": [0] * n,
            "invites_opt_out": _py(m["invite_opt_out"].astype(int)),
            "created_at": [stamp] * n,
            "updated_at": [stamp] * n,
        },
    )
    left = rng.random(n) < 0.01
    left_at = now - pd.to_timedelta(rng.integers(0, 90 * 86400, n), unit="s")
    first_seen = m["joined_at"].fillna(community.start)
    r = community.rollups
    active = r[(r["messages"] > 0) | (r["reactions_given"] > 0)].groupby("user_id")["day"].max()
    # The last active day's noon (the rollups keep days, not times), never after now.
    last_active = (m["user_id"].map(active) + pd.Timedelta(hours=12)).clip(upper=pd.Timestamp(now))
    counts["memberships"] = _insert(
        db,
        "memberships",
        {
            "community_id": [COMMUNITY] * n,
            "user_id": ids,
            "first_seen_at": _ts(first_seen),
            "last_seen_at": [stamp] * n,
            "joined_at": _ts(m["joined_at"]),
            "last_active_at": _ts(last_active),
            "left_at": np.where(left, _ts(left_at), None).tolist(),
            "is_member": _py((~left).astype(int)),
        },
    )
    timings["members_s"] = round(time.perf_counter() - started, 1)
    counts["activity_daily"] = _write_rollups(db, community.rollups)
    hours = [f"h{h:02d}" for h in range(24)]
    db.execute(
        f"INSERT INTO activity_community_daily (community_id, day, messages, reactions, "
        f"{','.join(hours)}) SELECT community_id, day, SUM(messages), SUM(reactions_given), "
        f"{','.join(f'SUM({h})' for h in hours)} FROM activity_daily "
        "GROUP BY community_id, day"
    )
    timings["rollups_s"] = round(time.perf_counter() - started, 1)
    salon_ids = _write_salons(db, community, stamp)
    counts["salons"] = len(salon_ids)
    counts["signups"] = _write_signups(db, community.signups, salon_ids, stamp)
    counts["invitations"] = _write_campaigns(db, community, salon_ids, now, rng)
    _write_model(db, community, now)
    counts["group_messages"] = _write_messages(
        db, community.rollups, today - pd.Timedelta(days=raw_days - 1), rng
    )
    db.execute("COMMIT")
    timings["write_s"] = round(time.perf_counter() - started, 1)
    db.execute("ANALYZE")
    db.execute("PRAGMA journal_mode=WAL")
    db.close()
    timings["total_s"] = round(time.perf_counter() - started, 1)
    return {"rows": counts, "timings": timings}


def _write_rollups(db: sqlite3.Connection, rollups: pd.DataFrame) -> int:
    columns = [c for c in rollups.columns if c != "day"]
    names = ["day", *columns]
    sql = f"INSERT INTO activity_daily ({','.join(names)}) VALUES ({','.join('?' * len(names))})"
    total = 0
    for chunk in _chunks(rollups):
        days = np.datetime_as_string(
            chunk["day"].dt.tz_convert(None).to_numpy().astype("datetime64[D]")
        ).tolist()
        values = [days, *(chunk[c].to_numpy(dtype=np.int64).tolist() for c in columns)]
        db.executemany(sql, zip(*values, strict=True))
        total += len(chunk)
    return total


def _write_salons(db: sqlite3.Connection, community, stamp: str) -> dict[int, int]:
    e = community.events.reset_index(drop=True)
    going = community.signups[community.signups["status"] == "yes"].groupby("event_id").size()
    n = len(e)
    _insert(
        db,
        "salons",
        {
            "id": list(range(1, n + 1)),
            "community_id": [COMMUNITY] * n,
            "source_id": [str(x) for x in e["event_id"]],
            "short_code": [f"B{i:05d}" for i in range(n)],
            "checkin_code": ["1234"] * n,
            "title": e["title"].tolist(),
            "description": e["description"].tolist(),
            "tags": e["tags"].tolist(),
            "location": ["Library"] * n,
            "starts_at": _ts(e["starts_at"]),
            "capacity": _py(e["capacity"]),
            "going_count": _py(e["event_id"].map(going).fillna(0).astype(int)),
            "price_amount": _py((e["price"] * 100).astype(int)),
            "currency": ["CNY"] * n,
            "status": ["published"] * n,
            "created_at": _ts(e["created_at"]),
            "updated_at": [stamp] * n,
        },
    )
    return dict(zip(e["event_id"].tolist(), range(1, n + 1), strict=True))


def _write_signups(db, signups: pd.DataFrame, salon_ids: dict[int, int], stamp: str) -> int:
    total = 0
    for s in _chunks(signups):
        attended = s["attended"].map({1.0: 1, 0.0: 0})
        rated = s["rating"].notna()
        total += _insert(
            db,
            "signups",
            {
                "salon_id": s["event_id"].map(salon_ids).tolist(),
                "user_id": _py(s["user_id"]),
                "status": s["status"].map(STATUS).tolist(),
                "source": ["import"] * len(s),
                "created_at": _ts(s["responded_at"]),
                "responded_at": _ts(s["responded_at"]),
                "attended": _py(attended),
                "rating": _py(s["rating"]),
                "rated_at": np.where(rated, _ts(s["responded_at"]), None).tolist(),
            },
        )
    return total


def _write_campaigns(db, community, salon_ids: dict[int, int], now: datetime, rng) -> int:
    events = community.events
    recent = events[(events["starts_at"] >= pd.Timestamp(now) - pd.Timedelta(days=90))]
    # storage.models.salons.RESPONDED: going, offered, waitlist, left ("maybe" is no signup).
    signed = community.signups[community.signups["status"].isin(["yes", "waitlist"])]
    total = 0
    for campaign_id, (event_id, starts_at) in enumerate(
        zip(recent["event_id"], recent["starts_at"], strict=True), start=1
    ):
        salon_id = salon_ids[event_id]
        created = _ts(pd.DatetimeIndex([starts_at - pd.Timedelta(days=5)]))[0]
        inv = community.invitations[community.invitations["event_id"] == event_id]
        n = len(inv)
        holdout = inv["holdout"].to_numpy()
        probability = rng.beta(2, 8, n)
        # What the campaigns tick stores (bot.campaigns.uplift.measure_campaign).
        joined = inv["user_id"].isin(signed[signed["event_id"] == event_id]["user_id"]).to_numpy()
        uplift = uplift_interval(
            int((joined & ~holdout).sum()),
            int((~holdout).sum()),
            int((joined & holdout).sum()),
            int(holdout.sum()),
        )
        stored = {
            **uplift.to_dict(),
            "predicted_signups": float(probability[~holdout].sum()),
            "measured_at": now.isoformat(),
        }
        _insert(
            db,
            "campaigns",
            {
                "id": [campaign_id],
                "salon_id": [salon_id],
                "community_id": [COMMUNITY],
                "status": ["finished"],
                "auto": [0],
                "min_probability": [0.0],
                "holdout_share": [0.1],
                "seed": [campaign_id],
                "overbook": [1.15],
                "wave_hours": [24.0],
                "spread_hours": [12.0],
                "window_ends_at": [created],
                "waves": [1],
                "created_at": [created],
                "uplift": [json.dumps(stored)],
            },
        )
        total += _insert(
            db,
            "invitations",
            {
                "campaign_id": [campaign_id] * n,
                "salon_id": [salon_id] * n,
                "user_id": _py(inv["user_id"]),
                "wave": [1] * n,
                "holdout": _py(holdout.astype(int)),
                "probability": probability.tolist(),
                "segment": ["unknown"] * n,
                "status": np.where(holdout, "withheld", "sent").tolist(),
                "created_at": [created] * n,
            },
        )
    return total


def _write_model(db, community, now: datetime) -> None:
    finished = _ts(pd.DatetimeIndex([now - timedelta(hours=5)]))[0]
    metrics = (
        '{"backtest": {"model": {"auc": 0.81}, "baselines": {"popularity": '
        '{"auc": 0.74}, "random": {"auc": 0.5}}}}'
    )
    _insert(
        db,
        "model_runs",
        {
            "id": [1],
            "community_id": [COMMUNITY],
            "started_at": [finished],
            "finished_at": [finished],
            "status": ["ok"],
            "kind": ["model"],
            "params": ["{}"],
            "metrics": [metrics],
        },
    )
    types = community.member_types
    for lo in range(0, len(types), CHUNK):
        part = types.iloc[lo : lo + CHUNK]
        _insert(
            db,
            "member_segments",
            {
                "community_id": [COMMUNITY] * len(part),
                "user_id": _py(part.index),
                "segment": part.tolist(),
                "run_id": [1] * len(part),
                "updated_at": [finished] * len(part),
            },
        )


def _write_messages(db, rollups: pd.DataFrame, since: pd.Timestamp, rng) -> int:
    """One raw row per message of the rollups since `since` (at a random second of its hour)."""
    recent = rollups[rollups["day"] >= since]
    hours = [f"h{h:02d}" for h in range(24)]
    total = 0
    for chunk in _chunks(recent):
        per_hour = chunk[hours].to_numpy(dtype=np.int64)
        cell_hour = np.repeat(np.arange(per_hour.size), per_hour.ravel())
        cell, hour = cell_hour // 24, cell_hour % 24
        base = chunk["day"].dt.tz_convert(None).to_numpy().astype("datetime64[s]")[cell]
        sent = base + (hour * 3600 + rng.integers(0, 3600, cell.size)).astype("timedelta64[s]")
        sent_text = np.datetime_as_string(sent, unit="s")
        n = cell.size
        total += _insert(
            db,
            "group_messages",
            {
                "community_id": [COMMUNITY] * n,
                "message_id": list(range(total + 1, total + n + 1)),
                "user_id": _py(chunk["user_id"].to_numpy()[cell]),
                "sent_at": [t.replace("T", " ") + ".000000" for t in sent_text],
                "kind": ["text"] * n,
                "length": [20] * n,
                "forwarded": [0] * n,
                "source": ["bot"] * n,
            },
        )
    return total
