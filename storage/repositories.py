"""Queries and inserts. Repositories never commit: the caller owns the transaction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Case, CaseEvent, ChatPreference, Evidence, Reporter
from storage.sqlite_writer import SqliteWriter


async def case_by_code(session: AsyncSession, code: str) -> Case | None:
    result = await session.exec(select(Case).where(Case.code == code))
    return result.first()


async def cases_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Case]:
    """The cases with these ids that exist, newest first, in one query."""
    result = await session.exec(
        select(Case).where(col(Case.id).in_(ids)).order_by(col(Case.id).desc())
    )
    return list(result.all())


async def reporter_chat(session: AsyncSession, case: Case | None) -> int | None:
    """The chat a case was filed from (None once erased by retention)."""
    if case is None:
        return None
    reporter = await session.get(Reporter, case.reporter_id)
    return reporter.chat_id if reporter else None


async def finding_opener(session: AsyncSession, case: Case | None) -> int | None:
    """The staff member who opened a finding (None for a citizen's report)."""
    if case is None:
        return None
    result = await session.exec(
        select(CaseEvent.actor_id).where(
            CaseEvent.case_id == case.id, CaseEvent.action == "finding_opened"
        )
    )
    return result.first()


async def code_exists(session: AsyncSession, code: str) -> bool:
    result = await session.exec(select(Case.id).where(Case.code == code))
    return result.first() is not None


async def cases_filed_from_chat(
    session: AsyncSession, chat_id: int, limit: int = 20
) -> Sequence[Case]:
    result = await session.exec(
        select(Case)
        .join(Reporter, col(Reporter.id) == col(Case.reporter_id))
        .where(Reporter.chat_id == chat_id)
        .order_by(col(Case.created_at).desc())
        .limit(limit)
    )
    return result.all()


async def known_agencies(session: AsyncSession, limit: int = 5000) -> list[str]:
    """One spelling per agency (the most used), most reported first."""
    usage = func.count(col(Case.id))
    result = await session.exec(
        select(func.min(Case.agency), usage)
        .group_by(col(Case.agency_key))
        .order_by(usage.desc())
        .limit(limit)
    )
    return [agency for agency, _count in result.all()]


async def chat_locale(session: AsyncSession, chat_id: int) -> str | None:
    preference = await session.get(ChatPreference, chat_id)
    return preference.locale if preference else None


async def set_chat_locale(session: AsyncSession, chat_id: int, locale: str) -> None:
    preference = await session.get(ChatPreference, chat_id)
    if preference is None:
        session.add(ChatPreference(chat_id=chat_id, locale=locale))
    else:
        preference.locale = locale
        session.add(preference)


async def insert_case(
    session: AsyncSession,
    reporter: Reporter,
    case: Case,
    evidence: Sequence[Evidence],
    event: CaseEvent,
) -> Case:
    """Stage a new case with its reporter, evidence and first audit event (no commit)."""
    session.add(reporter)
    await session.flush()
    case.reporter_id = reporter.id  # type: ignore[assignment]
    session.add(case)
    await session.flush()
    for item in evidence:
        item.case_id = case.id  # type: ignore[assignment]
        session.add(item)
    event.case_id = case.id  # type: ignore[assignment]
    session.add(event)
    await session.flush()
    return case


class Stager(Protocol):
    """Where new rows are staged for the caller's write: an AsyncSession, whose transaction
    writes them, or StagedRows, which keeps them for a write of the SQLite writer."""

    def add(self, row: Any, /) -> None: ...

    def add_all(self, rows: Iterable[Any], /) -> None: ...


class StagedRows:
    """Rows staged with `add`, kept in order for the SQLite writer to insert."""

    def __init__(self) -> None:
        self.rows: list[Any] = []

    def add(self, row: Any, /) -> None:
        self.rows.append(row)

    def add_all(self, rows: Iterable[Any], /) -> None:
        self.rows.extend(rows)


def case_write(
    writer: SqliteWriter,
    reporter: Reporter,
    case: Case,
    evidence: list[Evidence],
    event: CaseEvent,
    stage_the_rest: Callable[[Stager, Case], None],
) -> Callable[[sqlite3.Connection], Case]:
    """insert_case, then `stage_the_rest(staged, case)` (rows staged with `add` once the
    case has its id), as one write of the SQLite writer: applied in its thread in one
    hand-off and committed with the other updates' writes. Through the engine the same
    rows took eight statements' trips to aiosqlite's thread, each waiting for a busy event
    loop, while the transaction held SQLite's one write turn and every update's
    conversation write queued behind it (bench/RESULTS.md, seventh pass)."""

    def write(connection: sqlite3.Connection) -> Case:
        case.reporter_id = writer.insert(connection, reporter)
        writer.insert(connection, case)
        staged = StagedRows()
        for row in (*evidence, event):
            row.case_id = case.id
            staged.add(row)
        stage_the_rest(staged, case)
        for row in staged.rows:
            writer.insert(connection, row)
        return case

    return write


async def evidence_count(session: AsyncSession, case_id: int) -> int:
    result = await session.exec(select(func.count()).where(Evidence.case_id == case_id))
    return int(result.one())


async def evidence_of_case(session: AsyncSession, case_id: int) -> Sequence[Evidence]:
    result = await session.exec(
        select(Evidence).where(Evidence.case_id == case_id).order_by(col(Evidence.id))
    )
    return result.all()
