"""look-alike picture hashes: copies of a picture found by distance, not only equality

Each picture's difference hashes go to image_hash, cut into four indexed 16-bit bands
(services/similar_images.py). Pictures already stored bring their one hash (the whole
picture's); the crops' hashes come with pictures received from now on. The evidence.phash
index, used only for the exact look-up this replaces, is dropped.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 05:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BATCH = 5000


def _bands(hash_hex: str) -> list[int]:
    value = int(hash_hex, 16)
    return [(value >> (16 * (3 - index))) & 0xFFFF for index in range(4)]


def upgrade() -> None:
    op.create_table(
        "image_hash",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=False),
        sa.Column("hash", sa.String(length=16), nullable=False),
        sa.Column("band0", sa.Integer(), nullable=False),
        sa.Column("band1", sa.Integer(), nullable=False),
        sa.Column("band2", sa.Integer(), nullable=False),
        sa.Column("band3", sa.Integer(), nullable=False),
    )
    for column in ("case_id", "band0", "band1", "band2", "band3"):
        op.create_index(f"ix_image_hash_{column}", "image_hash", [column])
    connection = op.get_bind()
    image_hash = sa.table(
        "image_hash",
        sa.column("case_id", sa.Integer),
        sa.column("hash", sa.String),
        *(sa.column(f"band{index}", sa.Integer) for index in range(4)),
    )
    last_id = 0
    while True:
        rows = connection.execute(
            sa.text(
                "SELECT id, case_id, phash FROM evidence WHERE phash IS NOT NULL AND id > :after "
                "ORDER BY id LIMIT :batch"
            ),
            {"after": last_id, "batch": BATCH},
        ).all()
        if not rows:
            break
        last_id = rows[-1][0]
        connection.execute(
            image_hash.insert(),
            [
                {"case_id": case_id, "hash": phash}
                | {f"band{index}": band for index, band in enumerate(_bands(phash))}
                for _id, case_id, phash in rows
            ],
        )
    op.drop_index("ix_evidence_phash", table_name="evidence")


def downgrade() -> None:
    op.create_index("ix_evidence_phash", "evidence", ["phash"])
    op.drop_table("image_hash")
