"""(salon, eligible member) pairs with features at the salon's own cutoff."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from recommender import frames
from recommender.features import MEMBER_FEATURES, member_features
from recommender.interests import (
    tag_affinity,
    tag_profiles,
    text_lift,
    text_profiles,
    text_similarity,
)

SALON_FEATURES: tuple[str, ...] = (
    "salon_weekday", "salon_hour", "salon_price", "salon_capacity", "salon_n_tags",
)
AFFINITY_FEATURES: tuple[str, ...] = ("tag_affinity", "text_similarity", "text_lift")
MODEL_FEATURES: tuple[str, ...] = (*MEMBER_FEATURES, *SALON_FEATURES, *AFFINITY_FEATURES)


def eligible_members(members: pd.DataFrame, event: pd.Series, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Members of the salon's community who joined before its cutoff (unknown join counts)."""
    m = members[members["community_id"] == event["community_id"]]
    return m[m["joined_at"].isna() | (m["joined_at"] < cutoff)]


def salon_document(event: pd.Series) -> str:
    """Title, description and tags of a salon as one text for similarity."""
    parts = [event.get("title"), event.get("description"), event.get("tags")]
    return " ".join(str(p).replace(";", " ") for p in parts if isinstance(p, str) and p)


def event_pairs(
    members: pd.DataFrame,
    rollups: pd.DataFrame,
    events: pd.DataFrame,
    signups: pd.DataFrame,
    invitations: pd.DataFrame,
    event: pd.Series,
    texts: pd.DataFrame | None = None,
    cutoff: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Pairs of one salon: event_id, user_id, MODEL_FEATURES and label (1 = yes or waitlist)."""
    if cutoff is None:
        cutoff = event["created_at"]
        if pd.isna(cutoff):
            cutoff = event["starts_at"] - frames.DEFAULT_CUTOFF_LEAD
    cand = eligible_members(members, event, cutoff)
    feats = member_features(cand, rollups, events, signups, invitations, cutoff, texts=texts)
    index = feats.index
    feats["salon_weekday"] = float(event["starts_at"].weekday())
    feats["salon_hour"] = float(event["starts_at"].hour)
    feats["salon_price"] = float(event["price"])
    feats["salon_capacity"] = float(event["capacity"])
    feats["salon_n_tags"] = float(len(frames.split_tags(event["tags"])))
    community_events = events[events["community_id"] == event["community_id"]]
    profile = tag_profiles(community_events, signups, cutoff)
    feats["tag_affinity"] = tag_affinity(profile, event["tags"], index)
    if texts is not None and len(texts):
        community_texts = texts[texts["community_id"] == event["community_id"]]
        profiles = text_profiles(community_texts, cutoff)
        document = salon_document(event)
        earlier = community_events[(community_events["event_id"] != event["event_id"])
                                   & (community_events["starts_at"] < cutoff)]
        feats["text_similarity"] = text_similarity(profiles, document, index)
        feats["text_lift"] = text_lift(profiles, document,
                                       [salon_document(e) for _, e in earlier.iterrows()], index)
    else:
        feats["text_similarity"] = 0.0
        feats["text_lift"] = 0.0
    s = signups[(signups["event_id"] == event["event_id"])
                & signups["status"].isin(frames.POSITIVE_STATUSES)]
    out = feats[list(MODEL_FEATURES)].reset_index()
    out.insert(0, "event_id", np.int64(event["event_id"]))
    out["label"] = out["user_id"].isin(s["user_id"]).astype(np.int64)
    return out


def build_pairs(
    members: pd.DataFrame,
    rollups: pd.DataFrame,
    events: pd.DataFrame,
    signups: pd.DataFrame,
    invitations: pd.DataFrame,
    event_ids: Iterable[int] | None = None,
    texts: pd.DataFrame | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Pairs of every listed salon (all salons when None), each at its own cutoff."""
    frames.check_frame(events, frames.EVENTS, "events")
    chosen = events if event_ids is None else events[events["event_id"].isin(list(event_ids))]
    rows = list(chosen.iterrows())
    if progress:
        from tqdm import tqdm

        rows = tqdm(rows, desc="salon pairs")
    parts = [event_pairs(members, rollups, events, signups, invitations, ev, texts)
             for _, ev in rows]
    if not parts:
        return pd.DataFrame(columns=["event_id", "user_id", *MODEL_FEATURES, "label"])
    return pd.concat(parts, ignore_index=True)
