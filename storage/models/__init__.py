"""All tables. Import from here so Alembic and the app see one metadata."""

from storage.models.activity import (
    ActivityDay,
    GroupMessage,
    MemberEvent,
    ReactionCount,
    ReactionEvent,
)
from storage.models.base import Base
from storage.models.core import DM_BLOCKED, DM_REACHABLE, DM_UNKNOWN, Community, Membership, User
from storage.models.outbox import OutboxMessage
from storage.models.salons import Salon, Signup

__all__ = [
    "ActivityDay",
    "DM_BLOCKED",
    "DM_REACHABLE",
    "DM_UNKNOWN",
    "GroupMessage",
    "MemberEvent",
    "Base",
    "Community",
    "Membership",
    "OutboxMessage",
    "ReactionCount",
    "ReactionEvent",
    "Salon",
    "Signup",
    "User",
]
