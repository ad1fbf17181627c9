"""Tiny hand-made frames for pinning feature meanings."""

import numpy as np
import pandas as pd

from recommender import frames

T0 = pd.Timestamp("2024-03-01", tz="UTC")


def ts(days: float, hours: float = 0) -> pd.Timestamp:
    return T0 + pd.Timedelta(days=days, hours=hours)


def members(*user_ids: int, joined: dict | None = None, reachable: set | None = None):
    joined = joined or {}
    return pd.DataFrame(
        {
            "community_id": np.full(len(user_ids), -1, dtype=np.int64),
            "user_id": np.array(user_ids, dtype=np.int64),
            "joined_at": pd.DatetimeIndex([joined.get(u) for u in user_ids], tz="UTC").as_unit(
                "ns"
            ),
            "reachable": [u in (reachable or set()) for u in user_ids],
            "invite_opt_out": False,
        }
    )


def rollups(rows: list[dict]) -> pd.DataFrame:
    """rows: dicts with user_id, day (offset from T0), and any counts; hours as {'h': {13: 2}}."""
    out = []
    for r in rows:
        row = {c: 0 for c in (*frames.ROLLUP_COUNTS, *frames.HOURS)}
        row.update({k: v for k, v in r.items() if k not in ("h", "day")})
        for hour, n in r.get("h", {}).items():
            row[f"h{hour:02d}"] = n
        if "messages" not in r:
            row["messages"] = sum(r.get("h", {}).values())
        row["day"] = ts(r["day"])
        row["community_id"] = -1
        out.append(row)
    df = (
        pd.DataFrame(out, columns=list(frames.ROLLUPS))
        if out
        else frames.empty_frame(frames.ROLLUPS)
    )
    return df.astype({"community_id": "int64", "user_id": "int64"})


def events(rows: list[dict]) -> pd.DataFrame:
    """rows: dicts with event_id, starts (offset days), created (offset days or None), tags."""
    df = pd.DataFrame(
        {
            "event_id": [r["event_id"] for r in rows],
            "community_id": -1,
            "title": [r.get("title", f"salon {r['event_id']}") for r in rows],
            "description": [r.get("description", "") for r in rows],
            "tags": [r.get("tags", "") for r in rows],
            "starts_at": pd.to_datetime([ts(r["starts"]) for r in rows], utc=True),
            "capacity": [r.get("capacity", np.nan) for r in rows],
            "price": [r.get("price", 0.0) for r in rows],
            "created_at": pd.to_datetime(
                [ts(r["created"]) if r.get("created") is not None else pd.NaT for r in rows],
                utc=True,
            ),
        }
    )
    return (
        df.astype({"event_id": "int64", "community_id": "int64"})
        if rows
        else frames.empty_frame(frames.EVENTS)
    )


def signups(rows: list[tuple]) -> pd.DataFrame:
    """rows: (event_id, user_id, status, responded offset days, attended, rating)."""
    if not rows:
        return frames.empty_frame(frames.SIGNUPS)
    df = pd.DataFrame(rows, columns=list(frames.SIGNUPS))
    df["responded_at"] = pd.to_datetime([ts(d) for d in df["responded_at"]], utc=True)
    return df.astype({"event_id": "int64", "user_id": "int64", "attended": float, "rating": float})


def invitations(rows: list[tuple]) -> pd.DataFrame:
    """rows: (event_id, user_id, sent offset days, holdout)."""
    if not rows:
        return frames.empty_frame(frames.INVITATIONS)
    df = pd.DataFrame(rows, columns=list(frames.INVITATIONS))
    df["sent_at"] = pd.to_datetime([ts(d) for d in df["sent_at"]], utc=True)
    return df.astype({"event_id": "int64", "user_id": "int64", "holdout": bool})


def texts(rows: list[tuple]) -> pd.DataFrame:
    """rows: (user_id, sent offset days, text)."""
    df = pd.DataFrame(rows, columns=["user_id", "sent_at", "text"])
    df["sent_at"] = pd.to_datetime([ts(d) for d in df["sent_at"]], utc=True)
    df.insert(0, "community_id", -1)
    return df.astype({"community_id": "int64", "user_id": "int64"})
