"""Alembic environment: runs migrations over the project's async engine."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
from collections.abc import Iterator
from typing import Any

from alembic import context
from sqlalchemy import event, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from storage.db import create_engine, ensure_sqlite_directory

config = context.config
target_metadata = SQLModel.metadata
MIGRATION_LOCK = 0x4C41504F52  # any constant shared by all instances


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Instances starting together migrate one after another, not over each other.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        context.run_migrations()


def _sqlite_transactional_ddl(engine: AsyncEngine) -> None:
    """Make each migration one real transaction on SQLite, as it is on PostgreSQL.

    The sqlite3 driver begins a transaction only before INSERT, UPDATE and DELETE, so every
    CREATE, ALTER and DROP was committed by itself: an upgrade stopped midway (Ctrl-C, a
    crash, a power cut) left the schema half changed under the old revision, and every later
    start failed on "table already exists". With the driver's own handling off, SQLAlchemy's
    BEGIN starts a transaction that SQLite's journal undoes if the process dies. (SQLAlchemy's
    recipe for pysqlite and aiosqlite; the bot's own engine is left as it is.)"""

    @event.listens_for(engine.sync_engine, "connect")
    def _no_driver_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN")


async def _run_online() -> None:
    engine = create_engine(config.get_main_option("sqlalchemy.url"))
    if engine.dialect.name == "sqlite":
        _sqlite_transactional_ddl(engine)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
            await connection.commit()
    finally:
        await engine.dispose()


@contextlib.contextmanager
def _one_migration_at_a_time(url: str) -> Iterator[None]:
    """On a SQLite file, processes starting together (the bot and the site, after an
    upgrade) migrate one after the other, as PostgreSQL's advisory lock makes them: the
    second then finds the schema current instead of applying a revision a second time."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        yield
        return
    ensure_sqlite_directory(url)
    with open(f"{parsed.database}.migration-lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, or the process ends
        yield


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    with _one_migration_at_a_time(config.get_main_option("sqlalchemy.url")):
        asyncio.run(_run_online())
