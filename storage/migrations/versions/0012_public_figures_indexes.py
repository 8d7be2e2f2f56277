"""The public figures' established cases and findings from indexes alone

The public site's figures (bot/services/public_figures.py, /stats' counts) read, for every
established case, the follow-up chain (forwarded, due, the PPK's response), the time to a
sanction and who the reported person is: columns the partial index over established cases
(province, followed_up_at) did not hold, so each of those three queries looked up every
established case's row, in the index's province order (0.1-0.25 s each at 100k cases on
SQLite, a third of them established in the benchmark's data). The findings count read the
whole table. A partial index over established cases holding what those queries read, and
one over findings, answer them alone: at 100k cases on SQLite the three 0.35-0.6 s -> 0.14 s,
the findings count 40-100 ms -> 28 ms.

The new established index replaces ix_case_proven_province, whose columns it leads with
after the office (so an office's figures seek their range): SQLite's planner, without
ANALYZE statistics, kept choosing the narrower one and looking up the rows.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 09:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_PROVEN = sa.text("proven_at IS NOT NULL")
_FINDING = sa.text("kind = 'finding'")
PROVEN_COLUMNS = [
    "office_code",
    "province",
    "followed_up_at",
    "ppk_response",
    "recommendation_sent_at",
    "follow_up_due_at",
    "created_at",
    "asn_nip",
    "asn_name",
    "agency_key",
]


def upgrade() -> None:
    op.create_index(
        "ix_case_proven_cover",
        "case",
        PROVEN_COLUMNS,
        unique=False,
        sqlite_where=_PROVEN,
        postgresql_where=_PROVEN,
    )
    op.drop_index("ix_case_proven_province", table_name="case")
    op.create_index(
        "ix_case_findings",
        "case",
        ["office_code", "status"],
        unique=False,
        sqlite_where=_FINDING,
        postgresql_where=_FINDING,
    )


def downgrade() -> None:
    op.drop_index("ix_case_findings", table_name="case")
    op.create_index(
        "ix_case_proven_province",
        "case",
        ["province", "followed_up_at"],
        unique=False,
        sqlite_where=_PROVEN,
        postgresql_where=_PROVEN,
    )
    op.drop_index("ix_case_proven_cover", table_name="case")
