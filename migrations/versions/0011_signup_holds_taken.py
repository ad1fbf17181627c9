"""signups.holds_taken: how many seat holds a member took on a salon

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04

A member may hold a paid salon's seat at most `[payments] max_holds` times without paying;
the count lives on the signup and is carried over when they leave and join again.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'signups',
        sa.Column('holds_taken', sa.SmallInteger(), server_default='0', nullable=False),
    )
    # A seat held now was held once.
    op.execute("UPDATE signups SET holds_taken = 1 WHERE status = 'held'")


def downgrade() -> None:
    with op.batch_alter_table('signups') as batch:
        batch.drop_column('holds_taken')
