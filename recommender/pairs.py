"""(salon, eligible member) pairs with features at the salon's own cutoff."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from recommender import frames
from recommender.activity import ActivitySource, as_of, as_source
from recommender.features import MEMBER_FEATURES, features_at
from recommender.interests import text_lift, text_profiles, text_similarity
from recommender.participation import ParticipationSource, SignupHistory

SALON_FEATURES: tuple[str, ...] = (
    "salon_weekday",
    "salon_hour",
    "salon_price",
    "salon_capacity",
    "salon_n_tags",
)
AFFINITY_FEATURES: tuple[str, ...] = ("tag_affinity", "text_similarity", "text_lift")
MODEL_FEATURES: tuple[str, ...] = (*MEMBER_FEATURES, *SALON_FEATURES, *AFFINITY_FEATURES)


def eligible_members(members: pd.DataFrame, event: pd.Series, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Members of the salon's community who joined before its cutoff (unknown join counts)."""
    m = members[members["community_id"] == event["community_id"]]
    return m[m["joined_at"].isna() | (m["joined_at"] < cutoff)]


def event_cutoff(event: pd.Series) -> pd.Timestamp:
    """A salon's feature cutoff: when it was announced, or a week before it starts."""
    cutoff = event["created_at"]
    return event["starts_at"] - frames.DEFAULT_CUTOFF_LEAD if pd.isna(cutoff) else cutoff


@dataclass(frozen=True)
class Sampling:
    """Which members a past salon is paired with when training (None: no limit).

    A panel of at most `panel_size` members per community is drawn once (uniformly, seeded);
    each salon pairs with its eligible panel members, at most `per_event` of them (a uniform
    sample, seeded by the salon). Uniform at both steps, so the pairs keep each salon's signup
    rate and probabilities need no correction; one panel means the activity of a few thousand
    members is read, however large the community.
    """

    panel_size: int | None = None
    per_event: int | None = None
    random_state: int = 0

    def panel(self, members: pd.DataFrame) -> pd.DataFrame:
        """The panel: each community's members, or a uniform sample of panel_size of them."""
        if self.panel_size is None:
            return members
        parts = []
        for cid, group in members.groupby("community_id", sort=False):
            if len(group) <= self.panel_size:
                parts.append(group)
                continue
            rng = np.random.default_rng([self.random_state, abs(int(cid))])
            keep = np.sort(rng.choice(len(group), size=self.panel_size, replace=False))
            parts.append(group.iloc[keep])
        return pd.concat(parts) if parts else members

    def candidates(self, panel: pd.DataFrame, event: pd.Series, cutoff: pd.Timestamp):
        """The salon's eligible panel members, at most per_event of them."""
        cand = eligible_members(panel, event, cutoff)
        if self.per_event is None or len(cand) <= self.per_event:
            return cand
        rng = np.random.default_rng([self.random_state, abs(int(event["event_id"]))])
        keep = np.sort(rng.choice(len(cand), size=self.per_event, replace=False))
        return cand.iloc[keep]


def salon_document(event: pd.Series) -> str:
    """Title, description and tags of a salon as one text for similarity."""
    parts = [event.get("title"), event.get("description"), event.get("tags")]
    return " ".join(str(p).replace(";", " ") for p in parts if isinstance(p, str) and p)


@dataclass
class PairSources:
    """The frames pairs are built from, with the per-member indexes built once."""

    members: pd.DataFrame
    activity: ActivitySource
    events: pd.DataFrame
    history: ParticipationSource
    positives: dict[int, np.ndarray]
    texts: pd.DataFrame | None = None

    @classmethod
    def of(
        cls,
        members: pd.DataFrame,
        rollups: pd.DataFrame | ActivitySource,
        events: pd.DataFrame,
        signups: pd.DataFrame,
        invitations: pd.DataFrame,
        texts: pd.DataFrame | None = None,
        participation: ParticipationSource | None = None,
    ) -> PairSources:
        """Index the frames (`rollups` may be a ROLLUPS frame or an ActivitySource).

        `participation` (e.g. aggregates from storage) answers for the members whose history
        is not in `signups` and `invitations` (which then give labels and a panel's history).
        """
        frames.check_frame(members, frames.MEMBERS, "members")
        history = SignupHistory(events, signups, invitations)
        if participation is not None:
            history = participation
        yes = signups[signups["status"].isin(frames.POSITIVE_STATUSES)]
        positives = {int(e): g.to_numpy(dtype=np.int64)
                     for e, g in yes.groupby("event_id")["user_id"]}  # fmt: skip
        return cls(members, as_source(rollups), events, history, positives, texts)


def pairs_for(
    sources: PairSources, event: pd.Series, candidates: pd.DataFrame, cutoff: pd.Timestamp
) -> pd.DataFrame:
    """Pairs of one salon and the given candidates: event_id, user_id, MODEL_FEATURES, label."""
    feats = features_at(
        candidates,
        sources.activity,
        sources.history,
        cutoff,
        sources.texts,
        tags=event["tags"] if frames.split_tags(event["tags"]) else "",
    )
    if "tag_affinity" not in feats:
        feats["tag_affinity"] = 0.0
    index = feats.index
    feats["salon_weekday"] = float(event["starts_at"].weekday())
    feats["salon_hour"] = float(event["starts_at"].hour)
    feats["salon_price"] = float(event["price"])
    feats["salon_capacity"] = float(event["capacity"])
    feats["salon_n_tags"] = float(len(frames.split_tags(event["tags"])))
    community_id = int(event["community_id"])
    texts = sources.texts
    if texts is not None and len(texts):
        events = sources.events
        community_events = events[events["community_id"] == community_id]
        profiles = text_profiles(texts[texts["community_id"] == community_id], cutoff)
        document = salon_document(event)
        earlier = community_events[
            (community_events["event_id"] != event["event_id"])
            & (community_events["starts_at"] < cutoff)
        ]
        feats["text_similarity"] = text_similarity(profiles, document, index)
        feats["text_lift"] = text_lift(
            profiles, document, [salon_document(e) for _, e in earlier.iterrows()], index
        )
    else:
        feats["text_similarity"] = 0.0
        feats["text_lift"] = 0.0
    signed = sources.positives.get(int(event["event_id"]), np.empty(0, dtype=np.int64))
    out = feats[list(MODEL_FEATURES)].reset_index()
    out.insert(0, "event_id", np.int64(event["event_id"]))
    out["label"] = np.isin(out["user_id"].to_numpy(), signed).astype(np.int64)
    return out


def event_pairs(
    members: pd.DataFrame,
    rollups: pd.DataFrame | ActivitySource,
    events: pd.DataFrame,
    signups: pd.DataFrame,
    invitations: pd.DataFrame,
    event: pd.Series,
    texts: pd.DataFrame | None = None,
    cutoff: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """Pairs of one salon with every eligible member (see pairs_for)."""
    cutoff = event_cutoff(event) if cutoff is None else cutoff
    sources = PairSources.of(members, rollups, events, signups, invitations, texts)
    return pairs_for(sources, event, eligible_members(members, event, cutoff), cutoff)


def _chosen(events: pd.DataFrame, event_ids: Iterable[int] | None) -> pd.DataFrame:
    frames.check_frame(events, frames.EVENTS, "events")
    return events if event_ids is None else events[events["event_id"].isin(list(event_ids))]


def pair_requests(
    members: pd.DataFrame,
    events: pd.DataFrame,
    event_ids: Iterable[int] | None = None,
    sampling: Sampling | None = None,
) -> list[tuple[int, pd.Timestamp, np.ndarray]]:
    """(community_id, as_of day, user ids) whose activity build_pairs will ask for."""
    sampling = sampling or Sampling()
    panel = sampling.panel(members)
    out = []
    for _, event in _chosen(events, event_ids).iterrows():
        cutoff = event_cutoff(event)
        cand = sampling.candidates(panel, event, cutoff)
        out.append((int(event["community_id"]), as_of(cutoff),
                    cand["user_id"].to_numpy(dtype=np.int64)))  # fmt: skip
    return out


def build_pairs(
    members: pd.DataFrame,
    rollups: pd.DataFrame | ActivitySource,
    events: pd.DataFrame,
    signups: pd.DataFrame,
    invitations: pd.DataFrame,
    event_ids: Iterable[int] | None = None,
    texts: pd.DataFrame | None = None,
    progress: bool = False,
    sampling: Sampling | None = None,
) -> pd.DataFrame:
    """Pairs of every listed salon (all salons when None), each at its own cutoff.

    With a `sampling`, salons pair with a sample of their members (see Sampling), so the
    cost grows with the number of salons, not members x salons.
    """
    sources = PairSources.of(members, rollups, events, signups, invitations, texts)
    return pairs_of_events(sources, _chosen(events, event_ids), sampling, progress)


def pairs_of_events(
    sources: PairSources,
    chosen: pd.DataFrame,
    sampling: Sampling | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """build_pairs on sources already indexed, for the salons (rows of events) in `chosen`."""
    sampling = sampling or Sampling()
    panel = sampling.panel(sources.members)
    rows = list(chosen.iterrows())
    if progress:
        from tqdm import tqdm

        rows = tqdm(rows, desc="salon pairs", unit="salon")
    parts = []
    for _, event in rows:
        cutoff = event_cutoff(event)
        parts.append(pairs_for(sources, event, sampling.candidates(panel, event, cutoff), cutoff))
    if not parts:
        return pd.DataFrame(columns=["event_id", "user_id", *MODEL_FEATURES, "label"])
    return pd.concat(parts, ignore_index=True)
