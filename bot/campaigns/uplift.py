"""How many signups a campaign caused: its invited members against its random holdout.

Storage counts (`storage.invitations.count_uplift_groups`, `storage.stats_salons`); this
module turns counts into the uplift with Newcombe's 95 % interval
(`recommender.selection.uplift_interval`) and a verdict in plain words (docs/stats.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from recommender.selection import Uplift, uplift_interval
from storage.campaigns import set_uplift
from storage.invitations import count_uplift_groups
from storage.stats import CommunityStats
from storage.stats_salons import CampaignGroups, sum_campaign_probability

RAISED, LOWERED, UNCLEAR, NO_HOLDOUT = "raised", "lowered", "unclear", "no_holdout"


@dataclass
class CampaignUplift:
    """A campaign's signup rate against its holdout, with the verdict in plain words."""

    campaign_id: int
    salon_id: int
    title: str
    uplift: Uplift
    verdict: str

    def to_json(self) -> dict:
        """Plain values for JSON."""
        return {
            "campaign_id": self.campaign_id,
            "salon_id": self.salon_id,
            "title": self.title,
            **self.uplift.to_dict(),
            "verdict": self.verdict,
        }


def uplift_verdict(uplift: Uplift) -> str:
    """RAISED / LOWERED when the 95 % interval excludes 0, UNCLEAR when it includes 0."""
    if uplift.low is None or uplift.high is None:
        return NO_HOLDOUT
    if uplift.low > 0:
        return RAISED
    if uplift.high < 0:
        return LOWERED
    return UNCLEAR


def campaign_uplift(groups: CampaignGroups) -> CampaignUplift:
    """The uplift of one campaign from its group counts (intention to treat)."""
    uplift = uplift_interval(
        groups.invited_signups, groups.invited, groups.holdout_signups, groups.holdout
    )
    return CampaignUplift(
        groups.campaign_id, groups.salon_id, groups.title, uplift, uplift_verdict(uplift)
    )


def campaign_uplifts(groups: Sequence[CampaignGroups]) -> list[CampaignUplift]:
    """The uplift of each campaign, in the order given."""
    return [campaign_uplift(g) for g in groups]


def with_uplift(stats: CommunityStats) -> CommunityStats:
    """The community's /stats figures with each campaign's uplift filled in."""
    stats.uplift = campaign_uplifts(stats.campaigns)
    return stats


async def get_campaign_uplift(campaign_id: int, *, session: AsyncSession) -> Uplift:
    """Signup rate of invited minus holdout members, with Newcombe's 95 % interval."""
    invited, holdout = await count_uplift_groups(campaign_id, session=session)
    return uplift_interval(invited.signups, invited.members, holdout.signups, holdout.members)


async def measure_campaign(campaign_id: int, *, session: AsyncSession, now: datetime) -> dict:
    """Store (and return) the campaign's groups, their signups, the uplift and Σ p."""
    uplift = await get_campaign_uplift(campaign_id, session=session)
    figures = {
        **uplift.to_dict(),
        "predicted_signups": await sum_campaign_probability(campaign_id, session=session),
        "measured_at": now.isoformat(),
    }
    await set_uplift(campaign_id, figures, session=session)
    return figures
