"""case.proven_at for the /stats headline

/stats counted proven cases by joining every "proven" event of the audit trail back to its
case: about 0.35 s on SQLite and 0.45 s on PostgreSQL at a million cases, the larger part of
the command. The case now carries when it was first proven, and a partial index over the
proven cases alone holds what the headline counts (follow-ups, provinces). Existing proven
cases are filled from the audit trail, which stays the record of every change; the events'
index on to_status served only that join and goes.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_PROVEN = sa.text("proven_at IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proven_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        """
        UPDATE "case" SET proven_at = (
            SELECT min(event.created_at) FROM case_event AS event
            WHERE event.case_id = "case".id AND event.to_status = 'proven'
        )
        WHERE id IN (SELECT case_id FROM case_event WHERE to_status = 'proven')
        """
    )
    op.create_index(
        "ix_case_proven_province",
        "case",
        ["province", "followed_up_at"],
        unique=False,
        sqlite_where=_PROVEN,
        postgresql_where=_PROVEN,
    )
    op.drop_index("ix_case_event_to_status_case", table_name="case_event")


def downgrade() -> None:
    op.create_index(
        "ix_case_event_to_status_case", "case_event", ["to_status", "case_id"], unique=False
    )
    op.drop_index("ix_case_proven_province", table_name="case")
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("proven_at")
