"""Per-community member counts that /stats reads instead of joining every membership to its user.

On SQLite, database triggers (revision 0009) keep `community_counts` equal, after every
statement, to counting current human members (`memberships.is_member`, the user not a bot)
and those the bot can reach (`users.dm_status = 'reachable'`). On PostgreSQL the table stays
empty and /stats counts with the join (see docs/stats.md).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, ForeignKey, Integer, Table

from storage.models.base import Base

community_counts = Table(
    "community_counts",
    Base.metadata,
    Column(
        "community_id",
        BigInteger,
        ForeignKey("communities.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("members_known", Integer, nullable=False, default=0),
    Column("members_reachable", Integer, nullable=False, default=0),
)


class CommunityCounts(Base):
    """One community's current human members and how many of them the bot can reach."""

    __table__ = community_counts
