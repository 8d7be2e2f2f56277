"""Rows the SQLite writer inserts itself (a submission's, storage/sqlite_writer.py) read back
through the ORM as the ORM's own inserts do: every column, its conversion and its default;
and the outbox's claims and outcomes, committed through it, change rows as the engine's
transactions do."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from bot.services import outbox
from storage.db import (
    create_engine,
    create_session_factory,
    create_sqlite_writer,
)
from storage.migrate import upgrade_to_head_async
from storage.models import Case, Outbox, Reporter
from storage.sqlite_writer import SqliteWriter


def _case(code: str, reporter_id: int) -> Case:
    moment = datetime(2026, 11, 30, 23, 59, 58, 123456, tzinfo=UTC)
    return Case(
        code=code,
        kind="report",
        election="legislative",
        created_at=moment,
        status_changed_at=moment,
        deadline_at=moment,
        category="social_media",
        asn_name="Budi Santoso",
        agency="Dinas Pendidikan",
        agency_key="dinas pendidikan",
        province="Jawa Barat",
        region_code="32.73",
        office_code="32.73",
        incident_date=date(2026, 11, 28),
        description="Membagikan materi kampanye di grup kantor.",
        reporter_id=reporter_id,
    )


def _shape(row: dict[str, Any]) -> dict[str, Any]:
    """A stored row with its digits blanked: the form of each value, not the moment."""
    return {
        key: (re.sub(r"[0-9]", "0", value) if isinstance(value, str) else type(value))
        for key, value in row.items()
    }


def _columns(row: Any) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in type(row).__table__.columns}


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[tuple[Any, SqliteWriter, str]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'writer.db'}"
    await upgrade_to_head_async(url)
    engine = create_engine(url)
    writer = create_sqlite_writer(engine, url)
    assert writer is not None
    yield create_session_factory(engine), writer, str(tmp_path / "writer.db")
    await writer.close()
    await engine.dispose()


async def test_a_row_is_stored_as_the_orms_own(stores: tuple[Any, SqliteWriter, str]) -> None:
    sessions, writer, path = stores
    async with sessions() as session, session.begin():
        by_orm_reporter = Reporter(chat_id=7001, identity="identified", name="Siti", locale="en")
        session.add(by_orm_reporter)
        await session.flush()
        by_orm = _case("ASN-ORM1", by_orm_reporter.id)  # type: ignore[arg-type]
        session.add(by_orm)
        await session.flush()
        session.add(Outbox(chat_id=-100, kind="card", params={"a": [1, "ü"]}, case_id=by_orm.id))

    def write(connection: Any) -> Case:
        reporter = Reporter(chat_id=7002, identity="identified", name="Siti", locale="en")
        case = _case("ASN-WRT1", writer.insert(connection, reporter))
        writer.insert(connection, case)
        writer.insert(
            connection, Outbox(chat_id=-100, kind="card", params={"a": [1, "ü"]}, case_id=case.id)
        )
        return case

    written = await writer.run(write)
    assert written.id is not None and written.id != by_orm.id

    async with sessions() as session:
        cases = {case.code: case for case in (await session.exec(select(Case))).all()}
        reporters = {r.id: r for r in (await session.exec(select(Reporter))).all()}
        cards = {row.case_id: row for row in (await session.exec(select(Outbox))).all()}
    orm_case, writer_case = _columns(cases["ASN-ORM1"]), _columns(cases["ASN-WRT1"])
    # Everything but the keys and the code is the same, conversions and defaults included.
    for differs in ("id", "code", "reporter_id"):
        orm_case.pop(differs), writer_case.pop(differs)
    assert writer_case == orm_case
    assert writer_case["version"] == 1 and writer_case["status"] == "received"
    orm_reporter = _columns(reporters[cases["ASN-ORM1"].reporter_id])
    writer_reporter = _columns(reporters[cases["ASN-WRT1"].reporter_id])
    made_apart = {"id": 0, "chat_id": 0, "created_at": None}
    assert {**writer_reporter, **made_apart} == {**orm_reporter, **made_apart}
    assert writer_reporter["created_at"].tzinfo is not None
    orm_card, writer_card = _columns(cards[by_orm.id]), _columns(cards[written.id])
    assert writer_card["params"] == {"a": [1, "ü"]} == orm_card["params"]
    assert writer_card["status"] == "pending" and writer_card["attempts"] == 0
    assert writer_card["next_attempt_at"] is not None

    # Stored alike, not only read back alike: SQL compares the stored text (the outbox's
    # due time against now, say), so each value's text has the ORM's form.
    with sqlite3.connect(path) as raw:
        raw.row_factory = sqlite3.Row
        stored_cases = {
            row["code"]: dict(row) for row in raw.execute('SELECT * FROM "case"').fetchall()
        }
        stored_cards = {
            row["case_id"]: dict(row) for row in raw.execute("SELECT * FROM outbox").fetchall()
        }
    orm_text, writer_text = stored_cases["ASN-ORM1"], stored_cases["ASN-WRT1"]
    for differs in ("id", "code", "reporter_id"):
        orm_text.pop(differs), writer_text.pop(differs)
    assert writer_text == orm_text
    assert _shape(stored_cards[written.id]) == _shape(stored_cards[by_orm.id])


async def test_a_broken_constraint_fails_that_write_alone(
    stores: tuple[Any, SqliteWriter, str],
) -> None:
    sessions, writer, _path = stores

    def case_with_code(code: str) -> Any:
        def write(connection: Any) -> Case:
            reporter_id = writer.insert(connection, Reporter(chat_id=1, identity="anonymous"))
            case = _case(code, reporter_id)
            writer.insert(connection, case)
            return case

        return write

    await writer.run(case_with_code("ASN-SAME"))
    with pytest.raises(IntegrityError):
        await writer.run(case_with_code("ASN-SAME"))
    async with sessions() as session:
        reporters = (await session.exec(select(Reporter))).all()
    # The failed write's reporter was rolled back with it.
    assert len(reporters) == 1


async def test_the_outbox_claimed_and_settled_through_the_writer_as_through_the_engine(
    stores: tuple[Any, SqliteWriter, str],
) -> None:
    sessions, writer, path = stores
    async with sessions() as session, session.begin():
        for chat_id in (-101, -102, -103, -104):
            session.add(Outbox(chat_id=chat_id, kind="card", params={}))
    by_engine = {row.chat_id: row for row in await outbox.claim_due(sessions, limit=2)}
    through = {row.chat_id: row for row in await outbox.claim_due(sessions, limit=9, writer=writer)}
    assert set(by_engine) == {-101, -102} and set(through) == {-103, -104}
    # A claim holds: neither way takes a row another has claimed.
    assert await outbox.claim_due(sessions, limit=9, writer=writer) == []
    assert await outbox.claim_due(sessions, limit=9) == []

    await outbox.mark_sent(sessions, by_engine[-101].id, 11)  # type: ignore[arg-type]
    await outbox.mark_sent(sessions, through[-103].id, 13, writer=writer)  # type: ignore[arg-type]
    await outbox.mark_retry(sessions, by_engine[-102].id, error="429", delay_seconds=5)  # type: ignore[arg-type]
    await outbox.mark_retry(
        sessions,
        through[-104].id,  # type: ignore[arg-type]
        error="429",
        delay_seconds=5,
        writer=writer,
    )
    # A settled row is not settled again, and a release needs the claim's own lease.
    await outbox.mark_failed(sessions, through[-103].id, error="late", writer=writer)  # type: ignore[arg-type]
    await outbox.release(
        sessions,
        through[-104].id,  # type: ignore[arg-type]
        claimed_until=through[-104].claimed_until,  # type: ignore[arg-type]
        writer=writer,
    )

    async with sessions() as session:
        rows = {row.chat_id: _columns(row) for row in (await session.exec(select(Outbox))).all()}
    assert rows[-103]["status"] == "sent" and rows[-103]["telegram_message_id"] == 13
    assert rows[-104]["status"] == "pending" and rows[-104]["last_error"] == "429"
    made_apart = {"id": 0, "chat_id": 0, "telegram_message_id": 0}
    moments = ("created_at", "next_attempt_at", "sent_at", "claimed_until")
    for engine_chat, writer_chat in ((-101, -103), (-102, -104)):
        engine_row = {**rows[engine_chat], **made_apart}
        writer_row = {**rows[writer_chat], **made_apart}
        assert {k: v for k, v in writer_row.items() if k not in moments} == {
            k: v for k, v in engine_row.items() if k not in moments
        }
        for moment in moments:
            assert (writer_row[moment] is None) == (engine_row[moment] is None), moment
    with sqlite3.connect(path) as raw:
        raw.row_factory = sqlite3.Row
        stored = {row["chat_id"]: dict(row) for row in raw.execute("SELECT * FROM outbox")}
    assert _shape(stored[-103]) == _shape(stored[-101])
    assert _shape(stored[-104]) == _shape(stored[-102])


async def test_a_statement_with_an_in_list_is_refused_before_it_reaches_sqlite(
    stores: tuple[Any, SqliteWriter, str],
) -> None:
    """sqlite3 would be handed the whole list as one parameter; the writer says why instead,
    and the rows stay as they were."""
    sessions, writer, _path = stores
    async with sessions() as session, session.begin():
        session.add(Outbox(chat_id=-101, kind="card", params={}))
    statement = update(Outbox).where(col(Outbox.chat_id).in_([-101, -102])).values(attempts=7)
    with pytest.raises(ValueError, match="IN list"):
        await writer.run(lambda connection: writer.execute(connection, statement))
    async with sessions() as session:
        (row,) = (await session.exec(select(Outbox))).all()
    assert row.attempts == 0
