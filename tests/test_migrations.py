"""The migrations build exactly the schema the models describe: a column or index added to
storage/models.py without its Alembic revision would exist in tests but not in production."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlmodel import SQLModel

import storage.models  # noqa: F401 (the tables register themselves in SQLModel.metadata)
from storage.db import create_engine
from storage.migrate import upgrade_to_head_async


async def test_migrations_match_the_models(database_url: str) -> None:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)

    def differences(connection: Connection) -> list:
        return compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)

    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()
