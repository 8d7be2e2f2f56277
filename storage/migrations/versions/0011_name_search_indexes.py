"""/find reads names and agencies through a substring index on each engine

At a million cases /find by name took 21–38 ms, a scan of the newest cases with LIKE; a
name reported rarely meant reading most of the table. A trigram index answers "which cases
have this piece of text in the reported person's name or agency" from the index:

- SQLite: an FTS5 table with the trigram tokenizer (SQLite ≥ 3.34) over the case table's
  asn_name and agency_key (external content: the text stays in "case" only), kept current
  by three triggers. A later batch migration that rebuilds "case" drops the triggers with
  the old table and must create them again (TRIGGERS below, copied into that revision).
- PostgreSQL: pg_trgm GIN indexes on lower(asn_name) and agency_key. pg_trgm is a trusted
  extension (PostgreSQL 13 and later), so the database's owner creates it without being a
  superuser.

A small office's desk searches its own few cases instead, through a covering index on
(office_code, asn_name, agency_key, id) on both engines.

Both are filled from the rows already stored (about a minute at a million cases).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 08:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TRIGGERS = (
    """
    CREATE TRIGGER case_search_insert AFTER INSERT ON "case" BEGIN
        INSERT INTO case_search (rowid, asn_name, agency_key)
        VALUES (new.id, new.asn_name, new.agency_key);
    END
    """,
    """
    CREATE TRIGGER case_search_delete AFTER DELETE ON "case" BEGIN
        INSERT INTO case_search (case_search, rowid, asn_name, agency_key)
        VALUES ('delete', old.id, old.asn_name, old.agency_key);
    END
    """,
    # Only when the indexed text changes: a status change (most updates) costs nothing.
    """
    CREATE TRIGGER case_search_update AFTER UPDATE OF asn_name, agency_key ON "case" BEGIN
        INSERT INTO case_search (case_search, rowid, asn_name, agency_key)
        VALUES ('delete', old.id, old.asn_name, old.agency_key);
        INSERT INTO case_search (rowid, asn_name, agency_key)
        VALUES (new.id, new.asn_name, new.agency_key);
    END
    """,
)


def upgrade() -> None:
    op.create_index("ix_case_office_names", "case", ["office_code", "asn_name", "agency_key", "id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE case_search USING fts5(asn_name, agency_key, "
            "content='case', content_rowid='id', tokenize='trigram')"
        )
        for trigger in TRIGGERS:
            op.execute(trigger)
        op.execute("INSERT INTO case_search (case_search) VALUES ('rebuild')")
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    op.execute(
        'CREATE INDEX ix_case_asn_name_trgm ON "case" USING gin (lower(asn_name) gin_trgm_ops)'
    )
    op.execute('CREATE INDEX ix_case_agency_key_trgm ON "case" USING gin (agency_key gin_trgm_ops)')


def downgrade() -> None:
    op.drop_index("ix_case_office_names", table_name="case")
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS case_search_{name}")
        op.execute("DROP TABLE IF EXISTS case_search")
        return
    op.execute("DROP INDEX IF EXISTS ix_case_agency_key_trgm")
    op.execute("DROP INDEX IF EXISTS ix_case_asn_name_trgm")
    # The extension stays: another schema or an operator may use it.
