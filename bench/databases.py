"""Fresh databases for a benchmark run: a SQLite file, or a new PostgreSQL database."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import AsyncIterator

from bench.context import BenchContext
from bench.report import Result
from storage.migrate import upgrade_to_head_async

BACKENDS = ("sqlite", "postgresql")


def sqlite_left_out(context: BenchContext, section: str) -> list[Result] | None:
    """The row a section measured on SQLite alone gives when BENCH_BACKENDS leaves SQLite out
    (CI's PostgreSQL run, whose SQLite rows the other run already has); None otherwise."""
    if "sqlite" in available_backends(context):
        return None
    return [Result(section, "SQLite", "skipped", note="BENCH_BACKENDS leaves SQLite out")]


def available_backends(context: BenchContext) -> list[str]:
    """SQLite, and PostgreSQL when a server is given; BENCH_BACKENDS=postgresql (or sqlite)
    runs one alone, to measure again on one engine without loading both."""
    backends = ["sqlite", *(["postgresql"] if context.postgres_url else [])]
    chosen = os.environ.get("BENCH_BACKENDS")
    return [name for name in backends if not chosen or name in chosen.split(",")]


@contextlib.asynccontextmanager
async def fresh_database(context: BenchContext, backend: str) -> AsyncIterator[str]:
    """The URL of an empty database migrated to the newest schema, dropped afterwards."""
    name = f"bench_{uuid.uuid4().hex[:10]}"
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{context.workdir / name}.db"
        await upgrade_to_head_async(url)
        yield url
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    assert context.postgres_url, "PostgreSQL benchmarks need BENCH_POSTGRES_URL"
    server = make_url(context.postgres_url)
    plain = server.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade_to_head_async(url)
        yield url
    finally:
        connection = await asyncpg.connect(plain)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()
