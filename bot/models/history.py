"""What a model run reads: the frames of a community, and the activity and participation
aggregates at the cutoffs the run needs.

Whole histories are read for the training panel only (pairs.Sampling: at most a few
thousand members); every other member's activity and participation at a cutoff (now, an
upcoming salon's) are aggregated by the database, one row per member. So a run reads about
the same amount of data whatever the size of the community's history.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.common.config import Config
from recommender.activity import (
    ActivitySource,
    ChainedActivity,
    PrefetchedActivity,
    RollupActivity,
    as_of,
)
from recommender.model import ModelParams
from recommender.pairs import Sampling, event_cutoff, pair_requests
from recommender.participation import (
    ChainedParticipation,
    ParticipationSource,
    PrefetchedParticipation,
    SignupHistory,
)
from storage.frames import members_frame, texts_frame
from storage.frames_activity import Request, activity_frame, rollup_rows_frame
from storage.frames_campaigns import invitations_frame
from storage.frames_participation import participation_frame
from storage.frames_salons import events_frame, signups_frame


@dataclass
class History:
    """Everything the recommender takes about one community.

    `signups` and `invitations` are the panel's (all members' without a panel); `activity`
    and `participation` are filled by fetch_activity and fetch_participation.
    """

    members: pd.DataFrame
    events: pd.DataFrame
    signups: pd.DataFrame
    invitations: pd.DataFrame
    texts: pd.DataFrame | None
    panel: pd.DataFrame | None = None
    activity: ActivitySource | None = None
    participation: ParticipationSource | None = None

    def args(self) -> tuple:
        """Positional frames in the recommender's order."""
        return self.members, self.activity, self.events, self.signups, self.invitations


async def load_history(
    db: async_sessionmaker,
    config: Config,
    community_id: int | list[int] | None,
    sampling: Sampling | None = None,
) -> History:
    """Read the frames of one community, several, or (None) all, in one transaction.

    With a `sampling`, signups and invitations are read for its panel only.
    """
    async with db.begin() as session:
        texts = None
        if config.privacy.store_text:
            texts = await texts_frame(community_id, session=session)
        members = await members_frame(community_id, session=session)
        panel = None if sampling is None else sampling.panel(members)
        ids = None if panel is None else panel["user_id"].to_numpy()
        return History(
            members=members,
            events=await events_frame(community_id, session=session),
            signups=await signups_frame(community_id, session=session, user_ids=ids),
            invitations=await invitations_frame(community_id, session=session, user_ids=ids),
            texts=texts,
            panel=panel,
        )


async def fetch_activity(
    db: async_sessionmaker, history: History, requests: list[Request], progress: bool = False
) -> History:
    """Read the activity of the requested (community, day, members) into history.activity.

    The panel's members get all their rollup rows (every past salon's cutoff is then
    answered in memory); the rest get their aggregates computed by the database.
    """
    sources: list[ActivitySource] = []
    panel = history.panel
    async with db.begin() as session:
        if panel is not None and len(panel):
            parts = [await rollup_rows_frame(int(cid), part["user_id"].to_numpy(),
                                             session=session, progress=progress)
                     for cid, part in panel.groupby("community_id")]  # fmt: skip
            held = RollupActivity(pd.concat(parts, ignore_index=True), members=panel)
            sources.append(held)
            requests = [r for r in requests if not held.holds(r[0], r[2])]
        if requests or not sources:
            frame = await activity_frame(requests, session=session, progress=progress)
            sources.append(PrefetchedActivity(frame))
    history.activity = sources[0] if len(sources) == 1 else ChainedActivity(*sources)
    return history


async def fetch_participation(
    db: async_sessionmaker, history: History, community_id: int, cutoffs: list[tuple]
) -> History:
    """Participation of every member at each (cutoff, salon tags) into history.participation
    (from the frames alone when they hold every member's history)."""
    panel = history.panel
    known = None if panel is None else panel
    frames_source = SignupHistory(history.events, history.signups, history.invitations,
                                  members=known)  # fmt: skip
    if known is None or frames_source.holds(community_id, history.members["user_id"]):
        history.participation = frames_source
        return history
    async with db.begin() as session:
        frame = await participation_frame(community_id, cutoffs, session=session)
    fetched = [(community_id, cutoff, tags) for cutoff, tags in cutoffs]
    history.participation = ChainedParticipation(
        frames_source, PrefetchedParticipation(frame, fetched)
    )
    return history


def everyone(history: History, now: pd.Timestamp) -> list[Request]:
    """Every member of each community at `now`."""
    return [(int(cid), as_of(now), part["user_id"].to_numpy())
            for cid, part in history.members.groupby("community_id")]  # fmt: skip


def training_needs(
    history: History, params: ModelParams, now: pd.Timestamp
) -> tuple[list[Request], list[tuple]]:
    """The activity and the participation cutoffs a training run reads: every member now,
    the panel's members of each past salon, every eligible member of each upcoming salon."""
    events = history.events
    past = events[events["starts_at"] < now]["event_id"]
    upcoming = events[events["starts_at"] >= now]
    activity = [
        *everyone(history, now),
        *pair_requests(history.members, events, past, params.sampling()),
        *pair_requests(history.members, events, upcoming["event_id"]),
    ]
    cutoffs = [(now, ""), *((event_cutoff(e), e["tags"]) for _, e in upcoming.iterrows())]
    return activity, cutoffs
