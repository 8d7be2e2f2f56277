"""Making sure work done by every instance happens once: a periodic job per period, an
update per update_id."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from storage.db import SessionFactory, dialect_insert
from storage.models import JobRun, ProcessedUpdate, utcnow
from storage.sqlite_writer import SqliteWriter

UPDATE_LEASE = timedelta(minutes=2)


async def claim_job(session_factory: SessionFactory, job: str, period: str) -> bool:
    """True for exactly one caller per (job, period)."""
    try:
        async with session_factory() as session, session.begin():
            session.add(JobRun(job=job, period=period))
    except IntegrityError:
        return False
    return True


async def release_job(session_factory: SessionFactory, job: str, period: str) -> None:
    """Give back a claim whose job failed, so that a later try in the period may take it."""
    async with session_factory() as session, session.begin():
        await session.exec(
            delete(JobRun).where(col(JobRun.job) == job, col(JobRun.period) == period)
        )  # type: ignore[call-overload]


async def claim_update(session_factory: SessionFactory, update_id: int) -> bool:
    """True if this instance should process the update: it is new, or an earlier attempt
    neither finished nor released it within the lease (that instance died).

    One statement, on both engines: insert the claim, or take over a claim whose lease ran
    out. Every webhook update pays for this, so it is not an ORM flush and a second
    transaction after a duplicate key."""
    now = utcnow()
    table = ProcessedUpdate.__table__  # type: ignore[attr-defined]
    async with session_factory() as session, session.begin():
        claim = (
            dialect_insert(session.bind.dialect.name)(table)
            .values(update_id=update_id, claimed_at=now, done=False)
            .on_conflict_do_update(
                index_elements=[table.c.update_id],
                set_={"claimed_at": now},
                where=table.c.done.is_(False) & (table.c.claimed_at < now - UPDATE_LEASE),
            )
            .returning(table.c.update_id)
        )
        return (await session.exec(claim)).first() is not None


async def claim_updates(
    session_factory: SessionFactory,
    update_ids: Sequence[int],
    writer: SqliteWriter | None = None,
) -> set[int]:
    """The polling claim, for a whole batch in one transaction: returns the ids never seen
    before, now recorded as handled. Unlike a webhook claim it has no lease: an update seen
    once is never handled again, even if the process handling it died (half-done work
    repeated could, for one, apply a reporter's answer to the next question).

    With the SQLite writer, the claim is committed together with the conversation writes
    of the updates under way (one transaction and one hand-off to its thread instead of
    nine hand-offs, bench/roundtrips.py); it is still committed before any of the batch is
    handled."""
    if not update_ids:
        return set()
    now = utcnow()
    if writer is not None:
        claimed_at = writer.stored(ProcessedUpdate.__table__.c.claimed_at, now)  # type: ignore[attr-defined]
        return await writer.run(_claim_in_sqlite(update_ids, claimed_at))
    async with session_factory() as session, session.begin():
        seen = await session.exec(
            select(ProcessedUpdate.update_id).where(col(ProcessedUpdate.update_id).in_(update_ids))
        )
        fresh = set(update_ids) - set(seen.all())
        # One poller per bot token (Telegram refuses a second), so nobody else inserts
        # these ids between the SELECT and the INSERT.
        session.add_all(
            ProcessedUpdate(update_id=update_id, claimed_at=now, done=True)
            for update_id in sorted(fresh)
        )
    return fresh


def _claim_in_sqlite(
    update_ids: Sequence[int], claimed_at: Any
) -> Callable[[sqlite3.Connection], set[int]]:
    """claim_updates' SELECT and INSERT, on the writer's connection."""
    ids = list(update_ids)

    def claim(connection: sqlite3.Connection) -> set[int]:
        marks = ", ".join("?" * len(ids))
        seen = connection.execute(
            f"SELECT update_id FROM processed_update WHERE update_id IN ({marks})", ids
        ).fetchall()
        fresh = set(ids) - {row[0] for row in seen}
        connection.executemany(
            "INSERT INTO processed_update (update_id, claimed_at, done) VALUES (?, ?, 1)",
            [(update_id, claimed_at) for update_id in sorted(fresh)],
        )
        return fresh

    return claim


class FinishedUpdates:
    """Marks webhook updates done, each batch of them in one statement.

    A webhook update is answered 200 only once it is marked done, so that a redelivery
    (Telegram did not get the 200) is skipped even after the claim's lease. That mark was a
    transaction per update; now every update finished while one batch commits goes in the
    next: `mark` still returns only once its update's mark has committed."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory
        self._pending: list[tuple[int, asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def mark(self, update_id: int) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending.append((update_id, future))
        if self._flushing is None:
            self._flushing = asyncio.create_task(self._flush())
        await future

    async def _flush(self) -> None:
        try:
            while self._pending:
                batch, self._pending = self._pending, []
                try:
                    async with self._sessions() as session, session.begin():
                        await session.exec(
                            update(ProcessedUpdate)
                            .where(col(ProcessedUpdate.update_id).in_([i for i, _ in batch]))
                            .values(done=True)
                        )
                except Exception as error:
                    for _update_id, future in batch:
                        if not future.done():
                            future.set_exception(error)
                    continue
                for _update_id, future in batch:
                    if not future.done():
                        future.set_result(None)
        finally:
            self._flushing = None


async def release_update(session_factory: SessionFactory, update_id: int) -> None:
    """Processing failed: let Telegram's redelivery try again at once."""
    async with session_factory() as session, session.begin():
        await session.exec(
            delete(ProcessedUpdate).where(col(ProcessedUpdate.update_id) == update_id)
        )


async def forget_old_updates(session_factory: SessionFactory, older_than: timedelta) -> None:
    """Telegram redelivers for at most a day; older records only take space."""
    async with session_factory() as session, session.begin():
        await session.exec(
            delete(ProcessedUpdate).where(col(ProcessedUpdate.claimed_at) < utcnow() - older_than)
        )
