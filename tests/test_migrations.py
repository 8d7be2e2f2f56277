"""The migrations build exactly the schema the models describe: a column or index added to
storage/models.py without its Alembic revision would exist in tests but not in production."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel, select

from storage.db import create_engine
from storage.migrate import upgrade_to_head_async
from storage.models import Case  # the tables register themselves in SQLModel.metadata


async def insert_reporter(connection: AsyncConnection, now: datetime) -> None:
    """Reporter 1, anonymous, as raw SQL at an older revision than the models'."""
    from sqlalchemy import text

    await connection.execute(
        text(
            "INSERT INTO reporter (id, identity, locale, created_at) "
            "VALUES (1, 'anonymous', 'id', :now)"
        ),
        {"now": now},
    )


ROOT = Path(__file__).resolve().parents[1]

# /find's trigram index (migration 0011) is each engine's own and no model's: SQLite's FTS5
# table with its shadow tables, PostgreSQL's GIN indexes on an expression.
SEARCH_INDEX = ("case_search", "ix_case_asn_name_trgm", "ix_case_agency_key_trgm")


def _not_the_search_index(name: str | None, kind: str, parents: dict) -> bool:
    return not (name or "").startswith(SEARCH_INDEX)


async def test_migrations_match_the_models(database_url: str) -> None:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)

    def differences(connection: Connection) -> list:
        context = MigrationContext.configure(
            connection, opts={"include_name": _not_the_search_index}
        )
        return compare_metadata(context, SQLModel.metadata)

    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(differences) == []
    finally:
        await engine.dispose()


async def test_cases_proven_before_proven_at_existed_still_count(database_url: str) -> None:
    """Migration 0004 fills proven_at from the audit trail: a deployment upgraded with
    proven cases in it shows the same /stats headline as before."""
    from alembic import command
    from sqlalchemy import text

    from bot.services.statistics import case_statistics
    from storage.db import create_session_factory
    from storage.migrate import alembic_config

    await asyncio.to_thread(command.upgrade, alembic_config(database_url), "0003")
    engine = create_engine(database_url)
    proven_on = datetime(2024, 3, 4, 9, 30, tzinfo=UTC)
    paths = {
        "LN-PROVEN": ("received", "in_review", "forwarded", "proven"),
        "LN-CLOSED": ("received", "in_review", "forwarded", "proven", "closed"),
        "LN-UNPROVEN": ("received", "in_review", "forwarded", "not_proven", "closed"),
        "LN-NEW": ("received",),
    }
    try:
        async with engine.begin() as connection:
            await insert_reporter(connection, proven_on)
            for number, (code, path) in enumerate(paths.items(), start=1):
                await connection.execute(
                    text(
                        'INSERT INTO "case" (id, code, status, category, asn_name, agency, '
                        "agency_key, province, incident_date, description, reporter_id, "
                        "created_at, status_changed_at, info_requested) VALUES (:id, :code, "
                        ":status, 'other', 'Pegawai', 'Dinas', 'dinas', :province, :day, "
                        "'Uraian', 1, :now, :now, false)"
                    ),
                    {
                        "id": number,
                        "code": code,
                        "status": path[-1],
                        "province": "Aceh" if number == 1 else "Bali",
                        "day": proven_on.date(),
                        "now": proven_on,
                    },
                )
                for before, after in zip((None, *path), path, strict=False):
                    await connection.execute(
                        text(
                            "INSERT INTO case_event (case_id, actor, action, from_status, "
                            "to_status, created_at) VALUES (:case, 'staff', 'status', :before, "
                            ":after, :when)"
                        ),
                        {"case": number, "before": before, "after": after, "when": proven_on},
                    )
        await upgrade_to_head_async(database_url)
        sessions = create_session_factory(engine)
        async with sessions() as session:
            headline = (await case_statistics(session, today=proven_on.date())).headline
            proven_at = dict((await session.exec(select(Case.code, Case.proven_at))).all())
    finally:
        await engine.dispose()
    assert (headline.proven, headline.provinces_with_proven) == (2, 2)
    assert proven_at["LN-NEW"] is None and proven_at["LN-UNPROVEN"] is None
    for code in ("LN-PROVEN", "LN-CLOSED"):
        assert proven_at[code] is not None
        assert proven_at[code].replace(tzinfo=UTC) == proven_on


async def test_pictures_stored_before_0008_are_still_found_by_their_copies(
    database_url: str,
) -> None:
    """Migration 0008 gives every stored picture its hash in image_hash: a copy sent after
    the upgrade is linked to the case that had it before."""
    from alembic import command
    from sqlalchemy import text

    from bot.services.images import process_image
    from bot.services.similar_images import cases_with_copies
    from storage.db import create_session_factory
    from storage.migrate import alembic_config
    from tests.helpers.imagegen import plain_jpeg, resized_jpeg

    await asyncio.to_thread(command.upgrade, alembic_config(database_url), "0007")
    engine = create_engine(database_url)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    picture = process_image(plain_jpeg(color=(200, 40, 40)))
    try:
        async with engine.begin() as connection:
            await insert_reporter(connection, now)
            await connection.execute(
                text(
                    'INSERT INTO "case" (id, code, status, category, asn_name, agency, '
                    "agency_key, province, incident_date, description, reporter_id, "
                    "created_at, status_changed_at, kind, election, party_kind, extended) "
                    "VALUES (1, 'LN-OLD', 'received', 'other', 'Pegawai', 'Dinas', 'dinas', "
                    "'Bali', :day, 'Uraian', 1, :now, :now, 'report', 'unknown', 'asn', false)"
                ),
                {"day": now.date(), "now": now},
            )
            await connection.execute(
                text(
                    "INSERT INTO evidence (case_id, kind, mime, storage_key, sha256, "
                    "original_sha256, phash, size, source, created_at) VALUES (1, 'image', "
                    "'image/jpeg', 'a/b/c.jpg', 'c', 'c', :phash, 10, 'report', :now)"
                ),
                {"phash": picture.phash, "now": now},
            )
        await upgrade_to_head_async(database_url)
        resized = process_image(resized_jpeg(plain_jpeg(color=(200, 40, 40)), 0.75, quality=60))
        async with create_session_factory(engine)() as session:
            found = await cases_with_copies(session, resized.look_alike, other_than=0)
    finally:
        await engine.dispose()
    assert found == [1]


async def test_a_follow_up_of_none_becomes_a_declined_response(database_url: str) -> None:
    """Before 0009 "none" was recorded as a follow-up and counted as followed up; it was a
    decision not to sanction, and counts apart from now on."""
    from alembic import command
    from sqlalchemy import text

    from storage.migrate import alembic_config

    await asyncio.to_thread(command.upgrade, alembic_config(database_url), "0008")
    engine = create_engine(database_url)
    now = datetime(2026, 10, 1, tzinfo=UTC)
    try:
        async with engine.begin() as connection:
            await insert_reporter(connection, now)
            for number, sanction in enumerate(("none", "moral", None), start=1):
                await connection.execute(
                    text(
                        'INSERT INTO "case" (id, code, status, category, asn_name, agency, '
                        "agency_key, province, incident_date, description, reporter_id, "
                        "created_at, status_changed_at, kind, election, party_kind, extended, "
                        "sanction) VALUES (:id, :code, 'forwarded', 'other', 'Pegawai', "
                        "'Dinas', 'dinas', 'Bali', :day, 'Uraian', 1, :now, :now, 'report', "
                        "'unknown', 'asn', false, :sanction)"
                    ),
                    {
                        "id": number,
                        "code": f"LN-{number}",
                        "day": now.date(),
                        "now": now,
                        "sanction": sanction,
                    },
                )
        await upgrade_to_head_async(database_url)
        async with engine.connect() as connection:
            rows = (
                await connection.execute(
                    text('SELECT code, ppk_response, sanction FROM "case" ORDER BY id')
                )
            ).all()
    finally:
        await engine.dispose()
    assert [tuple(row) for row in rows] == [
        ("LN-1", "declined", None),
        ("LN-2", "imposed", "moral"),
        ("LN-3", None, None),
    ]


async def test_names_stored_before_0011_are_found_and_it_downgrades(database_url: str) -> None:
    """Migration 0011 indexes the names already stored, so /find still finds them; it can be
    taken back to 0010 and applied again on either engine."""
    from alembic import command
    from sqlalchemy import text

    from bot.services.case_queries import CaseQueries
    from storage.db import create_session_factory
    from storage.migrate import alembic_config

    config = alembic_config(database_url)
    await asyncio.to_thread(command.upgrade, config, "0010")
    engine = create_engine(database_url)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    cases = CaseQueries(create_session_factory(engine), "LN")

    async def found(typed: str) -> list[str]:
        return [case.code for case in await cases.find(typed)]

    try:
        async with engine.begin() as connection:
            await insert_reporter(connection, now)
            for number, name in enumerate(("Theresia Pandjaitan", "Budi Santoso"), start=1):
                await connection.execute(
                    text(
                        'INSERT INTO "case" (id, code, status, category, asn_name, agency, '
                        "agency_key, province, incident_date, description, reporter_id, "
                        "created_at, status_changed_at, kind, election, party_kind, extended) "
                        "VALUES (:id, :code, 'received', 'other', :name, 'Dinas Sosial', "
                        "'dinas sosial', 'Bali', :day, 'Uraian', 1, :now, :now, 'report', "
                        "'unknown', 'asn', false)"
                    ),
                    {
                        "id": number,
                        "code": f"LN-{number}",
                        "name": name,
                        "day": now.date(),
                        "now": now,
                    },
                )
        await upgrade_to_head_async(database_url)
        assert await found("pandjaitan") == ["LN-1"]
        assert await found("Santoso") == ["LN-2"]
        await asyncio.to_thread(command.downgrade, config, "0010")
        async with engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                left = "SELECT name FROM sqlite_master WHERE name LIKE 'case_search%'"
            else:
                left = "SELECT indexname FROM pg_indexes WHERE indexname LIKE '%_trgm'"
            assert (await connection.execute(text(left))).all() == []
        await upgrade_to_head_async(database_url)
        async with engine.begin() as connection:
            # The index follows a renamed civil servant (the SQLite trigger, or the GIN index).
            await connection.execute(
                text("UPDATE \"case\" SET asn_name = 'Theresia Simatupang' WHERE id = 1")
            )
        assert await found("simatupang") == ["LN-1"]
        assert await found("pandjaitan") == []
    finally:
        await engine.dispose()


async def test_an_upgrade_stopped_midway_is_undone_and_can_be_run_again(
    database_url: str,
) -> None:
    """A migration that fails after some of its statements (as one killed by Ctrl-C, a crash
    or a power cut stops) leaves the schema as it was before it, on either engine: the next
    start upgrades instead of failing on "duplicate column" for ever."""
    from alembic import command
    from sqlalchemy import inspect, text

    from storage.migrate import alembic_config

    config = alembic_config(database_url)
    await asyncio.to_thread(command.upgrade, config, "0005")
    engine = create_engine(database_url)

    def case_columns(connection: Connection) -> set[str]:
        return {column["name"] for column in inspect(connection).get_columns("case")}

    try:
        async with engine.begin() as connection:
            # 0006 adds columns to "case", then creates "office": this table stops it there.
            await connection.execute(text("CREATE TABLE office (code VARCHAR(8))"))
        try:
            await upgrade_to_head_async(database_url)
        except Exception as error:
            assert "office" in str(error)
        else:
            raise AssertionError("the upgrade went through a table in its way")
        async with engine.begin() as connection:
            assert "region_code" not in await connection.run_sync(case_columns)
            version = await connection.execute(text("SELECT version_num FROM alembic_version"))
            assert version.scalar_one() == "0005"
            await connection.execute(text("DROP TABLE office"))
        await upgrade_to_head_async(database_url)
        async with engine.connect() as connection:
            assert "region_code" in await connection.run_sync(case_columns)
    finally:
        await engine.dispose()


async def test_two_processes_migrating_one_sqlite_file_at_once_both_succeed(
    tmp_path: Path,
) -> None:
    """The bot and the public site started together after an upgrade, on one SQLite file:
    one migrates, the other waits and finds the schema current (neither fails, nor applies
    a revision twice)."""
    import os
    import sys

    from storage.migrate import alembic_config

    url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'lapor.db'}"
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}

    async def migrate() -> tuple[int | None, bytes]:
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli.migration",
            stdin=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env=environment,
        )
        _out, errors = await child.communicate(url.encode())
        return child.returncode, errors

    results = await asyncio.gather(*(migrate() for _ in range(3)))
    assert [code for code, _errors in results] == [0, 0, 0], results
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    newest = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            version = await connection.execute(text("SELECT version_num FROM alembic_version"))
            assert version.scalar_one() == newest
    finally:
        await engine.dispose()
