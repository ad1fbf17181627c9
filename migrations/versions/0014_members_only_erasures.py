"""members only: salons.guests_welcome, the erasure list

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04

`salons.guests_welcome`: a public event that people outside the community may see and join
(off by default: salons are for the community's current members).
`dialogues`: organizers' open /newsalon and Edit dialogues, so any process can continue one.
`member_rates`: the per-member limit's counts, shared by several processes on PostgreSQL.
`erased_users`: the ids of people who deleted their data; every writer that could re-create
a person (activity from the group, imports, other processes' buffers) checks it first.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('erased_users',
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('erased_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_erased_users'))
    )
    op.create_table('member_rates',
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('window_start', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_member_rates'))
    )
    op.create_table('dialogues',
    sa.Column('chat_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('state', sa.Integer(), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('chat_id', 'user_id', name=op.f('pk_dialogues'))
    )
    # A plain ADD COLUMN (no batch rebuild): salons carries no count triggers, but it is big.
    op.add_column('salons', sa.Column('guests_welcome', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('salons', schema=None) as batch_op:
        batch_op.drop_column('guests_welcome')
    op.drop_table('dialogues')
    op.drop_table('member_rates')
    op.drop_table('erased_users')
