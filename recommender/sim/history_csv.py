"""Write a simulated community as the CSV history format of `salonbot import history`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from recommender import frames

if TYPE_CHECKING:
    from recommender.sim.community import Community

EMOJI: tuple[str, ...] = ("👍", "❤", "🔥", "🎉", "👏")


def _iso(values: pd.Series) -> pd.Series:
    """ISO 8601 UTC strings with a 'Z' suffix ('' for NaT)."""
    arr = values.dt.tz_convert(None).to_numpy().astype("datetime64[s]")
    out = np.char.add(np.datetime_as_string(arr, unit="s"), "Z")
    return pd.Series(np.where(np.isnat(arr), "", out), index=values.index)


def _seconds(values: pd.Series) -> np.ndarray:
    return values.dt.tz_convert(None).to_numpy().astype("datetime64[s]")


def _expand_messages(
    chunk: pd.DataFrame, rng: np.random.Generator, user_pool: np.ndarray
) -> pd.DataFrame:
    """One row per message of a rollup chunk, from its per-hour counts."""
    per_hour = chunk[list(frames.HOURS)].to_numpy(dtype=np.int64)
    cell_hour = np.repeat(np.arange(per_hour.size), per_hour.ravel())
    cell, hour = cell_hour // 24, cell_hour % 24
    n_msg = per_hour.sum(axis=1)
    rank = np.arange(cell.size) - np.repeat(np.cumsum(n_msg) - n_msg, n_msg)
    replies = chunk["replies_sent"].to_numpy()[cell]
    target = user_pool[rng.integers(0, user_pool.size, cell.size)]
    sent = _seconds(chunk["day"])[cell] + (hour * 3600 + rng.integers(0, 3600, cell.size)).astype(
        "timedelta64[s]"
    )
    chars = chunk["chars"].to_numpy()[cell] // np.maximum(n_msg[cell], 1)
    return pd.DataFrame(
        {
            "community_id": chunk["community_id"].to_numpy()[cell],
            "user_id": chunk["user_id"].to_numpy()[cell],
            "sent_at": np.char.add(np.datetime_as_string(sent, unit="s"), "Z"),
            "length": chars,
            "reply_to_user_id": pd.arrays.IntegerArray(target, mask=rank >= replies),
            "_order": sent.astype(np.int64) // 3600,
        }
    )


def _expand_reactions(
    chunk: pd.DataFrame, rng: np.random.Generator, user_pool: np.ndarray
) -> pd.DataFrame:
    """One row per reaction given in a rollup chunk, at a random second of its day."""
    cell = np.repeat(np.arange(len(chunk)), chunk["reactions_given"].to_numpy(dtype=np.int64))
    at = _seconds(chunk["day"])[cell] + rng.integers(0, 86400, cell.size).astype("timedelta64[s]")
    return pd.DataFrame(
        {
            "community_id": chunk["community_id"].to_numpy()[cell],
            "user_id": chunk["user_id"].to_numpy()[cell],
            "reacted_at": np.char.add(np.datetime_as_string(at, unit="s"), "Z"),
            "target_user_id": user_pool[rng.integers(0, user_pool.size, cell.size)],
            "emoji": np.array(EMOJI)[rng.integers(0, len(EMOJI), cell.size)],
        }
    )


def _attach_texts(messages: pd.DataFrame, texts: pd.DataFrame) -> pd.DataFrame:
    """Replace sent_at/length with the simulated texts (same member and hour, same count)."""
    msgs = messages.sort_values(["user_id", "_order"], kind="stable").reset_index(drop=True)
    txt = texts.sort_values(["user_id", "sent_at"], kind="stable").reset_index(drop=True)
    msgs["sent_at"] = _iso(txt["sent_at"]).to_numpy()
    msgs["text"] = txt["text"].to_numpy()
    msgs["length"] = txt["text"].str.len().to_numpy()
    return msgs


def write_history_csv(
    community: Community, directory: str | Path, chunk_rows: int = 200_000, seed: int = 0
) -> dict[str, Path]:
    """Write members/events/signups/messages/reactions CSV files; return their paths."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        name: out / f"{name}.csv"
        for name in ("members", "events", "signups", "messages", "reactions")
    }
    m = community.members
    pd.DataFrame(
        {
            "community_id": m["community_id"],
            "user_id": m["user_id"],
            "joined_at": _iso(m["joined_at"]),
        }
    ).to_csv(paths["members"], index=False)
    e = community.events
    pd.DataFrame(
        {
            "event_id": e["event_id"],
            "community_id": e["community_id"],
            "title": e["title"],
            "starts_at": _iso(e["starts_at"]),
            "tags": e["tags"],
            "capacity": e["capacity"].astype("Int64"),
            "price": e["price"],
        }
    ).to_csv(paths["events"], index=False)
    s = community.signups
    pd.DataFrame(
        {
            "event_id": s["event_id"],
            "user_id": s["user_id"],
            "response": s["status"],
            "responded_at": _iso(s["responded_at"]),
            "attended": s["attended"].astype("Int64"),
        }
    ).to_csv(paths["signups"], index=False)
    rng = np.random.default_rng(seed)
    pool = m["user_id"].to_numpy()
    rollups, texts = community.rollups, community.texts
    with_texts = len(texts) > 0 and len(texts) == int(rollups["messages"].sum())
    step = len(rollups) + 1 if with_texts else max(1, chunk_rows)
    for i, lo in enumerate(range(0, max(len(rollups), 1), step)):
        chunk = rollups.iloc[lo : lo + step]
        msgs = _expand_messages(chunk, rng, pool)
        if with_texts:
            msgs = _attach_texts(msgs, texts)
        mode, header = ("w", True) if i == 0 else ("a", False)
        msgs.drop(columns="_order").to_csv(paths["messages"], index=False, mode=mode, header=header)
        _expand_reactions(chunk, rng, pool).to_csv(
            paths["reactions"], index=False, mode=mode, header=header
        )
    return paths
