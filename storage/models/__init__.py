"""All tables. Import from here so Alembic and the app see one metadata."""

from storage.models.activity import (
    ActivityDay,
    GroupMessage,
    MemberChange,
    Reaction,
    ReactionCount,
)
from storage.models.base import Base
from storage.models.campaigns import Campaign, Invitation
from storage.models.community_daily import CommunityDay
from storage.models.core import (
    DM_BLOCKED,
    DM_REACHABLE,
    DM_UNKNOWN,
    ChatAdmins,
    Community,
    Dialogue,
    ErasedUser,
    MemberRate,
    Membership,
    User,
)
from storage.models.counts import CommunityCounts
from storage.models.digest import SalonActivity, SalonOrganizer
from storage.models.outbox import OutboxMessage
from storage.models.payments import Payment
from storage.models.points import LeaderboardOptIn, PointEntry, Referral, SalonMaterials
from storage.models.polls import Poll
from storage.models.runs import MemberScore, MemberSegment, ModelRun
from storage.models.salons import Salon, Signup
from storage.models.series import SalonSeries

__all__ = [
    "ActivityDay",
    "DM_BLOCKED",
    "DM_REACHABLE",
    "DM_UNKNOWN",
    "ChatAdmins",
    "Dialogue",
    "ErasedUser",
    "MemberRate",
    "GroupMessage",
    "MemberChange",
    "Base",
    "Campaign",
    "Community",
    "CommunityCounts",
    "CommunityDay",
    "Invitation",
    "LeaderboardOptIn",
    "MemberScore",
    "MemberSegment",
    "Membership",
    "ModelRun",
    "OutboxMessage",
    "Payment",
    "PointEntry",
    "Poll",
    "ReactionCount",
    "Referral",
    "Reaction",
    "Salon",
    "SalonMaterials",
    "SalonActivity",
    "SalonOrganizer",
    "SalonSeries",
    "Signup",
    "User",
]
