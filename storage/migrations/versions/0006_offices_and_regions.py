"""offices and regions: where a case happened, which office handles it, staff offices

One deployment serves every supervising office: a case records its region (Kemendagri
code) and its office; staff belong to an office; an office's staff group is a row of
`office`. Existing cases get their province's code from its name and stay with their
province's office; existing staff belong to RI (they saw everything, and still do).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 02:00:00
"""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Province names as cases stored them, with their codes: read from the regions file the
# bot ships (bot/data/regions.json), which a migration may not import through the bot.
_REGIONS = Path(__file__).resolve().parents[3] / "bot" / "data" / "regions.json"


def upgrade() -> None:
    op.add_column(
        "case", sa.Column("region_code", sa.String(length=8), server_default="", nullable=False)
    )
    op.add_column(
        "case", sa.Column("office_code", sa.String(length=8), server_default="RI", nullable=False)
    )
    op.add_column("case", sa.Column("card_chat_id", sa.BigInteger(), nullable=True))
    op.add_column(
        "staff", sa.Column("office_code", sa.String(length=8), server_default="RI", nullable=False)
    )
    op.create_table(
        "office",
        sa.Column("code", sa.String(length=8), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("linked_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
        sa.UniqueConstraint("chat_id"),
    )
    provinces = json.loads(_REGIONS.read_text(encoding="utf-8"))["provinces"]
    case = sa.table(
        "case",
        sa.column("province", sa.String),
        sa.column("region_code", sa.String),
        sa.column("office_code", sa.String),
    )
    for province in provinces:
        op.execute(
            case.update()
            .where(case.c.province == province["name"])
            .values(region_code=province["code"], office_code=province["code"])
        )
    op.create_index("ix_case_region_code", "case", ["region_code"], unique=False)
    op.create_index("ix_case_office_created", "case", ["office_code", "created_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_case_office_created", table_name="case")
    op.drop_index("ix_case_region_code", table_name="case")
    op.drop_table("office")
    op.drop_column("staff", "office_code")
    op.drop_column("case", "card_chat_id")
    op.drop_column("case", "office_code")
    op.drop_column("case", "region_code")
