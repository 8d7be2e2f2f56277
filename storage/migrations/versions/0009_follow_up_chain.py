"""the follow-up chain of an established violation: BKN's recommendation and the PPK's
response

A case records its Pejabat Pembina Kepegawaian (PPK), BKN's recommended sanction and when,
and the PPK's response: a sanction imposed by a decree (number and date), or declined with
a reason. A follow-up recorded before as "none" was a decision not to sanction: it becomes
a declined response, which the follow-up rate no longer counts as followed up. Cases are
indexed by the civil servant's NIP, to find a repeat offender's earlier cases.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

COLUMNS = (
    ("ppk", sa.String(length=200)),
    ("bkn_recommended_at", sa.Date()),
    ("bkn_sanction", sa.String(length=16)),
    ("ppk_response", sa.String(length=16)),
    ("ppk_decree", sa.String(length=100)),
    ("ppk_decree_date", sa.Date()),
    ("ppk_reason", sa.String(length=500)),
)


def upgrade() -> None:
    for name, kind in COLUMNS:
        op.add_column("case", sa.Column(name, kind, nullable=True))
    # Earlier cases of the same civil servant, by NIP (services/related.py).
    op.create_index("ix_case_asn_nip", "case", ["asn_nip"])
    op.execute(
        "UPDATE \"case\" SET ppk_response = 'declined', sanction = NULL WHERE sanction = 'none'"
    )
    op.execute(
        "UPDATE \"case\" SET ppk_response = 'imposed' "
        "WHERE sanction IS NOT NULL AND ppk_response IS NULL"
    )


def downgrade() -> None:
    op.drop_index("ix_case_asn_nip", table_name="case")
    op.execute("UPDATE \"case\" SET sanction = 'none' WHERE ppk_response = 'declined'")
    for name, _kind in reversed(COLUMNS):
        op.drop_column("case", name)
