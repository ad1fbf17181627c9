"""community member counts

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28

`community_counts`: per community, the current human members and those the bot can reach.
On SQLite, triggers on communities, memberships and users keep it equal to

    SELECT count(*), count(*) FILTER (WHERE u.dm_status = 'reachable')
    FROM memberships m JOIN users u ON u.id = m.user_id
    WHERE m.community_id = :c AND m.is_member AND NOT u.is_bot

after every statement, whatever writes (the bot, importers, privacy deletion, cascades, raw
SQL); the table is filled from that query here. A member's contribution is added or taken
away when the membership row is inserted, deleted or changes `is_member` (looking up the
user), and for all of a user's memberships when the user row is inserted, deleted (before
the cascade: the memberships' own triggers then find no user and change nothing) or changes
`is_bot` or `dm_status`.

On PostgreSQL the table stays empty and /stats counts with the join: there a row trigger
would update the community's one row once per membership written, and PostgreSQL keeps
every version of a row updated many times inside one transaction (an import), which makes
such a transaction quadratic (measured: 40,000 memberships in one INSERT took 77 s).

A later migration that rebuilds `communities`, `memberships` or `users` on SQLite (batch mode
copies the table) drops these triggers: it must create them again (`create_triggers`) and
refill the table (`fill`). /stats checks that all of them exist before reading the counts.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Contribution of membership row X (NEW or OLD): 1 if its user exists and is not a bot.
_KNOWN = "(SELECT count(*) FROM users WHERE id = {x}.user_id AND NOT is_bot)"
_REACHABLE = (
    "(SELECT count(*) FROM users WHERE id = {x}.user_id AND NOT is_bot"
    " AND dm_status = 'reachable')"
)
_COMMUNITIES_OF = "(SELECT community_id FROM memberships WHERE user_id = {x}.id AND is_member)"


def _add_membership(x: str, sign: str) -> str:
    return (
        f"UPDATE community_counts SET"
        f" members_known = members_known {sign} {_KNOWN.format(x=x)},"
        f" members_reachable = members_reachable {sign} {_REACHABLE.format(x=x)}"
        f" WHERE community_id = {x}.community_id AND {x}.is_member;"
    )


def _add_user(x: str, sign: str) -> str:
    return (
        f"UPDATE community_counts SET"
        f" members_known = members_known {sign} (NOT {x}.is_bot),"
        f" members_reachable = members_reachable {sign}"
        f" (NOT {x}.is_bot AND {x}.dm_status = 'reachable')"
        f" WHERE community_id IN {_COMMUNITIES_OF.format(x=x)};"
    )


_COUNT = (
    "SELECT count(*) FROM memberships m JOIN users u ON u.id = m.user_id"
    " WHERE m.community_id = {c} AND m.is_member AND NOT u.is_bot"
)
TRIGGERS = {
    "tr_community_counts_community": (
        "AFTER INSERT ON communities BEGIN"
        " INSERT OR IGNORE INTO community_counts (community_id, members_known,"
        f" members_reachable) VALUES (NEW.id, ({_COUNT.format(c='NEW.id')}),"
        f" ({_COUNT.format(c='NEW.id')} AND u.dm_status = 'reachable')); END"
    ),
    "tr_community_counts_membership_insert": (
        f"AFTER INSERT ON memberships BEGIN {_add_membership('NEW', '+')} END"
    ),
    "tr_community_counts_membership_delete": (
        f"AFTER DELETE ON memberships BEGIN {_add_membership('OLD', '-')} END"
    ),
    "tr_community_counts_membership_update": (
        "AFTER UPDATE OF is_member, community_id, user_id ON memberships"
        " WHEN OLD.is_member IS NOT NEW.is_member OR OLD.community_id IS NOT NEW.community_id"
        " OR OLD.user_id IS NOT NEW.user_id"
        f" BEGIN {_add_membership('OLD', '-')} {_add_membership('NEW', '+')} END"
    ),
    "tr_community_counts_user_insert": (
        f"AFTER INSERT ON users BEGIN {_add_user('NEW', '+')} END"
    ),
    # Before the cascade deletes the memberships (whose triggers then find no user).
    "tr_community_counts_user_delete": (
        f"BEFORE DELETE ON users BEGIN {_add_user('OLD', '-')} END"
    ),
    "tr_community_counts_user_update": (
        "AFTER UPDATE OF id, is_bot, dm_status ON users"
        " WHEN OLD.id IS NOT NEW.id OR OLD.is_bot IS NOT NEW.is_bot"
        " OR OLD.dm_status IS NOT NEW.dm_status"
        f" BEGIN {_add_user('OLD', '-')} {_add_user('NEW', '+')} END"
    ),
}


def create_triggers() -> None:
    """The SQLite triggers that keep community_counts exact."""
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def fill() -> None:
    """community_counts from the memberships and users as they are now."""
    op.execute("DELETE FROM community_counts")
    op.execute(
        "INSERT INTO community_counts (community_id, members_known, members_reachable)"
        f" SELECT c.id, ({_COUNT.format(c='c.id')}),"
        f" ({_COUNT.format(c='c.id')} AND u.dm_status = 'reachable') FROM communities c"
    )


def upgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    op.create_table('community_counts',
    sa.Column('community_id', sa.BigInteger(), nullable=False),
    sa.Column('members_known', sa.Integer(), nullable=False),
    sa.Column('members_reachable', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_community_counts_community_id_communities'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('community_id', name=op.f('pk_community_counts'))
    )
    # ### end Alembic commands ###
    if op.get_bind().dialect.name == "sqlite":
        create_triggers()
        fill()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    # ### commands auto generated by Alembic - please adjust! ###
    op.drop_table('community_counts')
    # ### end Alembic commands ###
