"""chat_admins: the community chats' admins, shared by every process

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

Organizer rights follow the chat's admins. Each process used to keep them in memory for ten
minutes, so a demotion that one process saw (a `chat_member` update) was not seen by the
others; the list now lives here and the process that sees a change drops it for all.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('chat_admins',
    sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_ids', sa.JSON(), nullable=False),
    sa.Column('expires_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('dropped_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('chat_id', name=op.f('pk_chat_admins'))
    )


def downgrade() -> None:
    op.drop_table('chat_admins')
