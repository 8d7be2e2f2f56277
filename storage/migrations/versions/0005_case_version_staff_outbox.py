"""case.version for compare-and-set changes; staff-chat messages move to the outbox

Two officers changing one case at the same moment both succeeded: each read the case, and
the later write overwrote the earlier one while the history kept both moves. Every change
now writes only if the case still has the version it read.

Cards in the staff chat are now outbox rows like reporters' notifications, claimed by the
outbox's own lease, so the card's separate claim lease goes.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 01:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# Plain ALTER TABLE, not Alembic's batch mode: on SQLite batch mode copies the table, and
# dropping the old "case" breaks the foreign keys of every table that points at it. SQLite
# has dropped columns in place since 3.35.


def upgrade() -> None:
    op.add_column("case", sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.drop_column("case", "card_claimed_until")


def downgrade() -> None:
    op.add_column(
        "case", sa.Column("card_claimed_until", sa.DateTime(timezone=True), nullable=True)
    )
    op.drop_column("case", "version")
