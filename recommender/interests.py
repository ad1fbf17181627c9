"""Member interests before a cutoff: TF-IDF text profiles and tags of salons joined."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from recommender import frames
from recommender.cutoffs import past_signups

COMMON_NGRAM_SHARE = 0.25
MIN_DOCS_FOR_MAX_DF = 40


@dataclass
class TextProfiles:
    """A fitted char n-gram TF-IDF vectorizer and one L2-normalised row per member."""

    vectorizer: TfidfVectorizer | None
    matrix: sparse.csr_matrix
    user_ids: pd.Index


def text_profiles(
    texts: pd.DataFrame | None, cutoff: pd.Timestamp, max_features: int = 20_000
) -> TextProfiles:
    """TF-IDF (char_wb 2-3 grams, works without word segmentation) of texts sent before cutoff."""
    empty = TextProfiles(None, sparse.csr_matrix((0, 0)), pd.Index([], name="user_id"))
    if texts is None or texts.empty:
        return empty
    frames.check_frame(texts, frames.TEXTS, "texts")
    past = texts[texts["sent_at"] < cutoff]
    if past.empty:
        return empty
    docs = past.groupby("user_id")["text"].agg(lambda t: " ".join(map(str, t)))
    # n-grams most members use (greetings, function words) say nothing about interests
    max_df = COMMON_NGRAM_SHARE if len(docs) >= MIN_DOCS_FOR_MAX_DF else 1.0
    for share in dict.fromkeys((max_df, 1.0)):
        vectorizer = TfidfVectorizer(
            analyzer="char_wb",
            ngram_range=(2, 3),
            min_df=1,
            max_df=share,
            sublinear_tf=True,
            max_features=max_features,
        )
        try:
            matrix = vectorizer.fit_transform(docs.to_numpy())
        except ValueError:
            # "After pruning, no terms remain" (every member wrote the same n-grams: then
            # keep them all) or "empty vocabulary" (only 1-character texts: no profiles).
            continue
        index = pd.Index(docs.index, name="user_id")
        return TextProfiles(vectorizer, sparse.csr_matrix(matrix), index)
    return empty


def text_similarity(profiles: TextProfiles, document: str, user_ids: pd.Index) -> pd.Series:
    """Cosine similarity of each member's profile to a document (0 for members without texts)."""
    out = pd.Series(0.0, index=pd.Index(user_ids, name="user_id"), name="text_similarity")
    if profiles.vectorizer is None or not document:
        return out
    query = profiles.vectorizer.transform([document])
    sims = np.asarray((profiles.matrix @ query.T).todense()).ravel()
    known = pd.Series(sims, index=profiles.user_ids)
    return known.reindex(out.index).fillna(0.0).rename("text_similarity")


def text_lift(
    profiles: TextProfiles, document: str, others: list[str], user_ids: pd.Index
) -> pd.Series:
    """Similarity to `document` minus the member's mean similarity to `others` (earlier salons).

    Removes what every salon shares with a member's texts (language, message volume), so what
    is left says whether this salon's topic is one of the member's topics.
    """
    out = pd.Series(0.0, index=pd.Index(user_ids, name="user_id"), name="text_lift")
    docs = [d for d in others if d]
    if profiles.vectorizer is None or not document or not docs:
        return out
    query = profiles.vectorizer.transform([document, *docs])
    sims = np.asarray((profiles.matrix @ query.T).todense())
    known = pd.Series(sims[:, 0] - sims[:, 1:].mean(axis=1), index=profiles.user_ids)
    return known.reindex(out.index).fillna(0.0).rename("text_lift")


def tag_profiles(events: pd.DataFrame, signups: pd.DataFrame, cutoff: pd.Timestamp) -> pd.DataFrame:
    """Long frame (user_id, tag, count) of salons joined or attended that started before cutoff."""
    s = past_signups(events, signups, cutoff)
    s = s[s["status"].isin(frames.POSITIVE_STATUSES) | (s["attended"] == 1.0)]
    rows = [
        (u, t)
        for u, tags in zip(s["user_id"], s["tags"], strict=True)
        for t in frames.split_tags(tags)
    ]
    df = pd.DataFrame(rows, columns=["user_id", "tag"])
    return df.groupby(["user_id", "tag"]).size().rename("count").reset_index()


def tag_affinity(profile: pd.DataFrame, tags: str, user_ids: pd.Index) -> pd.Series:
    """Share of each member's past salon tags that are among `tags` (0 without history)."""
    wanted = frames.split_tags(tags)
    out = pd.Series(0.0, index=pd.Index(user_ids, name="user_id"), name="tag_affinity")
    if profile.empty or not wanted:
        return out
    total = profile.groupby("user_id")["count"].sum()
    hit = profile[profile["tag"].isin(wanted)].groupby("user_id")["count"].sum()
    share = (hit.reindex(total.index).fillna(0.0) / total).astype(float)
    return share.reindex(out.index).fillna(0.0).rename("tag_affinity")
