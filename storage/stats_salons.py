"""/stats figures about salons and campaigns: the funnel, predicted turnout, groups, the model.

The signup side is one grouped query per call, covered by `ix_signups_salon_funnel` (no
table row is visited). A campaign's side (group sizes, Σ p, signups per group) is measured
by the campaigns tick (`bot.campaigns.uplift.measure_campaign`) and stored on the campaign,
until a day after its salon started, after which it cannot change; a campaign without stored
figures is measured live (covered by `ix_invitations_salon_user_holdout`). The uplift itself
is computed from these counts by `bot.campaigns.uplift`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign, Invitation, Salon, Signup
from storage.models.runs import RUN_FAILED
from storage.models.salons import HOLDS_SEAT, RESPONDED, WAITLIST
from storage.runs import get_latest_run


@dataclass
class SalonFunnel:
    """One salon from invitation to rating."""

    salon_id: int
    event_id: str  # the imported event_id, else the internal id
    code: str
    title: str
    starts_at: datetime
    capacity: int | None
    invited: int = 0  # chosen for invitation (not the holdout), delivered or not
    holdout: int = 0
    joined: int = 0  # holding a seat: going or offered
    joined_by_invitation: int = 0  # of those, through an invitation's Join button
    waitlisted: int = 0
    attended: int = 0
    no_show: int = 0
    rated: int = 0
    rating_avg: float | None = None
    predicted_turnout: float | None = None  # Σ p of the invited, at invitation time
    invited_signups: int = 0  # invited members who signed up (the actual to compare)
    holdout_signups: int = 0  # holdout members who signed up by themselves
    invited_waitlisted: int = 0  # invited members on the waitlist: invited beyond the seats

    @property
    def joined_by_self(self) -> int:
        """Joined without an invitation's button (/join, the group's button, imports)."""
        return self.joined - self.joined_by_invitation

    @property
    def attendance_rate(self) -> float | None:
        """Came / (came + no-show), of those whose attendance is known."""
        known = self.attended + self.no_show
        return self.attended / known if known else None

    def to_json(self) -> dict:
        """Plain values for JSON."""
        data = asdict(self)
        data["starts_at"] = self.starts_at.isoformat()
        data["joined_by_self"] = self.joined_by_self
        data["attendance_rate"] = self.attendance_rate
        return data


@dataclass(frozen=True)
class CampaignGroups:
    """A campaign's two groups, chosen to be invited and held out, and their signups."""

    campaign_id: int
    salon_id: int
    title: str
    invited: int
    invited_signups: int
    holdout: int
    holdout_signups: int


@dataclass
class ModelFigures:
    """The community's latest successful model run and how it did on its last backtest."""

    run_at: datetime | None = None
    kind: str | None = None  # model | prior
    reason: str | None = None
    auc: float | None = None
    baseline_auc: float | None = None  # the popularity baseline
    stale: bool = False
    age_days: float | None = None
    # The newest run, when it failed after the latest successful one: why (the previous
    # model, if any, stays in use).
    failed_at: datetime | None = None
    failure: str | None = None

    def to_json(self) -> dict:
        """Plain values for JSON."""
        data = asdict(self)
        data["run_at"] = self.run_at.isoformat() if self.run_at else None
        data["failed_at"] = self.failed_at.isoformat() if self.failed_at else None
        return data


async def list_salon_funnels(
    salons: Sequence[Salon], *, session: AsyncSession
) -> list[SalonFunnel]:
    """The funnel of each salon, in the given order."""
    funnels = {
        s.id: SalonFunnel(
            s.id, s.source_id or str(s.id), s.short_code, s.title, s.starts_at, s.capacity
        )
        for s in salons
    }
    ids = list(funnels)
    if not ids:
        return []
    # One row per distinct (salon, status, source, attended, rating), read in index order from
    # the covering index: far fewer rows than signups, and no per-row filters to evaluate.
    rows = await session.execute(
        select(
            Signup.salon_id, Signup.status, Signup.source, Signup.attended, Signup.rating,
            func.count(),
        )
        .where(Signup.salon_id.in_(ids))
        .group_by(Signup.salon_id, Signup.status, Signup.source, Signup.attended, Signup.rating)
    )  # fmt: skip
    ratings: dict[int, int] = {}
    for salon_id, status, source, attended, rating, count in rows:
        f = funnels[salon_id]
        if status in HOLDS_SEAT:
            f.joined += count
            f.joined_by_invitation += count if source == "invitation" else 0
        f.waitlisted += count if status == WAITLIST else 0
        f.attended += count if attended is True else 0
        f.no_show += count if attended is False else 0
        if rating is not None:
            f.rated += count
            ratings[salon_id] = ratings.get(salon_id, 0) + rating * count
    for salon_id, total in ratings.items():
        funnels[salon_id].rating_avg = total / funnels[salon_id].rated
    stored = await session.execute(
        select(Campaign.salon_id, Campaign.uplift).where(Campaign.salon_id.in_(ids))
    )
    live = []
    for salon_id, figures in stored:
        if figures and "predicted_signups" in figures:
            f = funnels[salon_id]
            f.invited, f.holdout = figures["invited"], figures["holdout"]
            f.invited_signups = figures["invited_signups"]
            f.holdout_signups = figures["holdout_signups"]
            f.predicted_turnout = figures["predicted_signups"]
        else:
            live.append(salon_id)
    if live:
        await _invitation_figures(funnels, live, session=session)
    over = await session.execute(
        select(Signup.salon_id, func.count())
        .join(Invitation, and_(Invitation.salon_id == Signup.salon_id,
                               Invitation.user_id == Signup.user_id))
        .where(Signup.salon_id.in_(ids), Signup.status == WAITLIST, Invitation.holdout.is_(False))
        .group_by(Signup.salon_id)
    )  # fmt: skip
    for salon_id, count in over:
        funnels[salon_id].invited_waitlisted = count
    return [funnels[i] for i in ids]


async def _invitation_figures(
    funnels: dict[int, SalonFunnel], salon_ids: list[int], *, session: AsyncSession
) -> None:
    rows = await session.execute(
        select(
            Invitation.salon_id, Invitation.holdout, func.count(), func.sum(Invitation.probability)
        )
        .where(Invitation.salon_id.in_(salon_ids))
        .group_by(Invitation.salon_id, Invitation.holdout)
    )
    for salon_id, holdout, count, total in rows:
        f = funnels[salon_id]
        if holdout:
            f.holdout = count
        else:
            f.invited, f.predicted_turnout = count, float(total or 0.0)
    groups = await count_signups_by_group(salon_ids, session=session)
    for salon_id, (invited, holdout) in groups.items():
        funnels[salon_id].invited_signups, funnels[salon_id].holdout_signups = invited, holdout


async def sum_campaign_probability(campaign_id: int, *, session: AsyncSession) -> float:
    """Σ p: the signups the model expected of the members chosen to be invited."""
    predicted = await session.scalar(
        select(func.sum(Invitation.probability)).where(
            Invitation.campaign_id == campaign_id, Invitation.holdout.is_(False)
        )
    )
    return float(predicted or 0.0)


async def list_campaigns_to_measure(*, session: AsyncSession, now: datetime) -> list[int]:
    """Campaigns whose figures may still change: their salon started less than a day ago."""
    rows = await session.scalars(
        select(Campaign.id)
        .join(Salon, Salon.id == Campaign.salon_id)
        .where(Salon.starts_at > now - timedelta(days=1))
        .order_by(Campaign.id)
    )
    return list(rows)


async def count_signups_by_group(
    salon_ids: Sequence[int], *, session: AsyncSession
) -> dict[int, tuple[int, int]]:
    """Salon id -> (signups of invited members, signups of holdout members).

    A signup is any response except a decline (as `storage.invitations` counts uplift).
    """
    rows = await session.execute(
        select(Signup.salon_id, Invitation.holdout, func.count())
        .join(
            Invitation,
            and_(Invitation.salon_id == Signup.salon_id, Invitation.user_id == Signup.user_id),
        )
        .where(Signup.salon_id.in_(list(salon_ids)), Signup.status.in_(RESPONDED))
        .group_by(Signup.salon_id, Invitation.holdout)
    )
    groups: dict[int, list[int]] = {}
    for salon_id, holdout, count in rows:
        groups.setdefault(salon_id, [0, 0])[1 if holdout else 0] = count
    return {k: (v[0], v[1]) for k, v in groups.items()}


async def list_campaign_groups(
    funnels: Sequence[SalonFunnel], *, session: AsyncSession
) -> list[CampaignGroups]:
    """The groups of each of these salons' campaigns (salons without one are skipped).

    Intention to treat, as `storage.invitations.count_uplift_groups`: everyone chosen counts.
    """
    by_salon = {f.salon_id: f for f in funnels}
    if not by_salon:
        return []
    campaigns = await session.execute(
        select(Campaign.id, Campaign.salon_id).where(Campaign.salon_id.in_(list(by_salon)))
    )
    found = {salon_id: campaign_id for campaign_id, salon_id in campaigns}
    return [
        CampaignGroups(
            found[salon_id],
            salon_id,
            f.title,
            f.invited,
            f.invited_signups,
            f.holdout,
            f.holdout_signups,
        )  # fmt: skip
        for salon_id, f in by_salon.items()
        if salon_id in found
    ]


async def get_model_figures(
    community_id: int, *, session: AsyncSession, now: datetime, stale_after_days: int
) -> ModelFigures:
    """The latest successful run: when, which kind, AUC against the popularity baseline;
    and the newest run's failure, when it failed after that one."""
    run = await get_latest_run(community_id, session=session)
    failed = await get_latest_run(community_id, session=session, status=RUN_FAILED)
    if failed is not None and (run is None or failed.id > run.id):
        failure = {"failed_at": failed.finished_at or failed.started_at,
                   "failure": failed.reason or "?"}  # fmt: skip
    else:
        failure = {}
    if run is None:
        return ModelFigures(**failure)
    at = run.finished_at or run.started_at
    backtest = (run.metrics or {}).get("backtest") or {}
    auc = (backtest.get("model") or {}).get("auc")
    baseline = ((backtest.get("baselines") or {}).get("popularity") or {}).get("auc")
    return ModelFigures(
        run_at=at,
        kind=run.kind,
        reason=run.reason,
        auc=auc,
        baseline_auc=baseline,
        stale=now - at > timedelta(days=stale_after_days),
        age_days=round((now - at).total_seconds() / 86400, 2),
        **failure,
    )
