"""image hash look-ups read their candidates from the indexes alone

Each band's index now carries the hash and the case id: at a million cases a new picture's
look-up meets thousands of candidate rows, and reading each from the table was most of its
time (bench/RESULTS.md).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 06:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for band in range(4):
        op.drop_index(f"ix_image_hash_band{band}", table_name="image_hash")
        op.create_index(
            f"ix_image_hash_band{band}_cover", "image_hash", [f"band{band}", "hash", "case_id"]
        )


def downgrade() -> None:
    for band in range(4):
        op.drop_index(f"ix_image_hash_band{band}_cover", table_name="image_hash")
        op.create_index(f"ix_image_hash_band{band}", "image_hash", [f"band{band}"])
