"""the case procedure of Perbawaslu 7/2022: registration, statutory deadlines, findings,
merged duplicates

Statuses take the procedure's names: in_review becomes initial_review (kajian awal),
needs_info completion (returned to the reporter to complete), forwarded examination
(klarifikasi), proven established (terbukti), not_proven not_established, rejected
not_registered; the history is renamed with them so it reads in one vocabulary. A case
records its kind (report or finding), the election concerned, who the reported person is,
when the reporter learned of it, its register number and the end of its current stage's
period; a reporter their address; staff their names; each office its register counters.
Open cases get the deadline of their stage counted from what is known (the strict,
calendar-day reading: the election of old cases is unknown).

(Downgrading needs PostgreSQL: SQLite cannot drop a column that references a table.)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 03:00:00
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

RENAMED = {
    "in_review": "initial_review",
    "needs_info": "completion",
    "forwarded": "examination",
    "proven": "established",
    "not_proven": "not_established",
    "rejected": "not_registered",
}
# Days from the moment each open stage started to its deadline (calendar days: the stricter
# count, since the election, and so the regime, of an old case is not known).
_OPEN_STAGE_DAYS = {"received": 2, "initial_review": 2, "completion": 2, "examination": 3}


def _rename_statuses(mapping: dict[str, str]) -> None:
    case = sa.table("case", sa.column("status", sa.String))
    event = sa.table(
        "case_event", sa.column("from_status", sa.String), sa.column("to_status", sa.String)
    )
    for old, new in mapping.items():
        op.execute(case.update().where(case.c.status == old).values(status=new))
        op.execute(event.update().where(event.c.from_status == old).values(from_status=new))
        op.execute(event.update().where(event.c.to_status == old).values(to_status=new))


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def upgrade() -> None:
    op.add_column(
        "case", sa.Column("kind", sa.String(length=8), server_default="report", nullable=False)
    )
    op.add_column(
        "case",
        sa.Column("election", sa.String(length=16), server_default="unknown", nullable=False),
    )
    op.add_column(
        "case", sa.Column("party_kind", sa.String(length=16), server_default="asn", nullable=False)
    )
    op.add_column("case", sa.Column("date_known", sa.Date(), nullable=True))
    op.add_column("case", sa.Column("register_number", sa.String(length=64), nullable=True))
    op.add_column("case", sa.Column("registered_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("case", sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "case", sa.Column("extended", sa.Boolean(), server_default=sa.false(), nullable=False)
    )
    op.add_column("case", sa.Column("outcome_reason", sa.String(length=16), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its reference in place, but not a constraint afterwards.
        op.execute('ALTER TABLE "case" ADD COLUMN merged_into_id INTEGER REFERENCES "case" (id)')
    else:
        op.add_column(
            "case",
            sa.Column("merged_into_id", sa.Integer(), sa.ForeignKey("case.id"), nullable=True),
        )
    op.drop_column("case", "info_requested")
    op.create_index("ix_case_register_number", "case", ["register_number"], unique=True)
    op.create_index("ix_case_deadline", "case", ["deadline_at"], unique=False)
    op.create_index("ix_case_merged_into_id", "case", ["merged_into_id"], unique=False)
    op.add_column("reporter", sa.Column("address", sa.String(length=300), nullable=True))
    op.create_table(
        "staff_name",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.create_table(
        "register_counter",
        sa.Column("office_code", sa.String(length=8), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("office_code", "year", "kind"),
    )
    _rename_statuses(RENAMED)
    connection = op.get_bind()
    case = sa.table(
        "case",
        sa.column("id", sa.Integer),
        sa.column("status", sa.String),
        sa.column("status_changed_at", sa.DateTime(timezone=True)),
        sa.column("deadline_at", sa.DateTime(timezone=True)),
    )
    open_cases = connection.execute(
        sa.select(case.c.id, case.c.status, case.c.status_changed_at).where(
            case.c.status.in_(list(_OPEN_STAGE_DAYS))
        )
    ).all()
    for case_id, status, changed_at in open_cases:
        deadline = _utc(changed_at) + timedelta(days=_OPEN_STAGE_DAYS[status])
        connection.execute(case.update().where(case.c.id == case_id).values(deadline_at=deadline))


def downgrade() -> None:
    _rename_statuses({new: old for old, new in RENAMED.items()})
    op.drop_table("register_counter")
    op.drop_table("staff_name")
    op.drop_column("reporter", "address")
    op.drop_index("ix_case_merged_into_id", table_name="case")
    op.drop_index("ix_case_deadline", table_name="case")
    op.drop_index("ix_case_register_number", table_name="case")
    op.add_column(
        "case",
        sa.Column("info_requested", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    for column in (
        "merged_into_id",
        "outcome_reason",
        "extended",
        "deadline_at",
        "registered_at",
        "register_number",
        "date_known",
        "party_kind",
        "election",
        "kind",
    ):
        op.drop_column("case", column)
