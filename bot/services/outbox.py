"""The notification outbox: rows written with the change that caused them, delivered later
by the sender (bot/delivery.py), so a notification survives crashes and Telegram errors.

A row moves pending -> sent or pending -> failed and never back. While pending it may be
claimed: `claimed_until` is a lease, so a sender that dies leaves its rows to another once
the lease has run out."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Update, func, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import and_, col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import SessionFactory, commit_statement, commit_statements
from storage.models import Outbox, utcnow
from storage.repositories import Stager
from storage.sqlite_writer import SqliteWriter

# Telegram descriptions are short; a traceback or an HTML error page is not worth keeping whole.
_ERROR_LIMIT = 1000


def enqueue(
    session: Stager,
    *,
    chat_id: int,
    kind: str,
    params: dict[str, Any],
    locale: str,
    case_id: int | None = None,
) -> Outbox:
    """Stage a notification in the caller's transaction (never commits): it is then written
    exactly when the change that caused it is."""
    row = Outbox(chat_id=chat_id, kind=kind, params=params, locale=locale, case_id=case_id)
    session.add(row)
    return row


def _claimable(now: datetime) -> ColumnElement[bool]:
    return and_(
        col(Outbox.status) == "pending",
        col(Outbox.next_attempt_at) <= now,
        or_(col(Outbox.claimed_until).is_(None), col(Outbox.claimed_until) < now),
    )


async def claim_due(
    session_factory: SessionFactory,
    *,
    limit: int,
    lease_seconds: float = 60,
    writer: SqliteWriter | None = None,
) -> list[Outbox]:
    """Claim due rows for delivery, lowest id first, with a lease of `lease_seconds`.

    Only the oldest pending row of each chat is eligible, so one chat's messages go out in
    order even across retries (a row waiting for its retry holds back the rows after it),
    and a batch has at most one row per chat. The returned rows carry their new
    `claimed_until`, which `release` takes as proof of the claim. With the SQLite writer
    the rows are read first and taken in one of its writes (storage.db.commit_statements)."""
    now = utcnow()
    until = now + timedelta(seconds=lease_seconds)
    if writer is not None:
        return await _claim_through(writer, session_factory, limit, now, until)
    async with session_factory() as session, session.begin():
        query = _due(now, limit)
        dialect = session.bind.dialect  # type: ignore[union-attr]
        if dialect.name == "postgresql":
            # Several instances claim at once: each skips the rows another has locked.
            query = query.with_for_update(skip_locked=True)
        rows = list((await session.exec(query)).all())
        if not rows:
            return []
        # The conditions are checked again in the UPDATE because on SQLite the SELECT above
        # is not inside the write transaction (pysqlite only begins one at the first write):
        # another claimer may have taken a row since, and only the UPDATE's view is current.
        # A row cannot newly become its chat's oldest pending row in between, since a row
        # only ever leaves "pending" and new rows get higher ids.
        won = await _take(session, [row.id for row in rows if row.id is not None], now, until)
        claimed = [row for row in rows if row.id in won]
        for row in claimed:
            session.expunge(row)
            row.claimed_until = until
    return claimed


async def _claim_through(
    writer: SqliteWriter,
    session_factory: SessionFactory,
    limit: int,
    now: datetime,
    until: datetime,
) -> list[Outbox]:
    async with session_factory() as session:
        rows = list((await session.exec(_due(now, limit))).all())
        for row in rows:
            session.expunge(row)
    if not rows:
        return []
    # Each guarded, as below without RETURNING: another process on the same file may have
    # claimed a row since it was read.
    taken = await commit_statements(
        session_factory,
        writer,
        [_claim(col(Outbox.id) == row.id, now, until) for row in rows],
    )
    claimed = [row for row, won in zip(rows, taken, strict=True) if won == 1]
    for row in claimed:
        row.claimed_until = until
    return claimed


def _due(now: datetime, limit: int) -> Any:
    oldest_per_chat = (
        select(func.min(Outbox.id)).where(Outbox.status == "pending").group_by(Outbox.chat_id)
    )
    return (
        select(Outbox)
        .where(col(Outbox.id).in_(oldest_per_chat), _claimable(now))
        .order_by(col(Outbox.id))
        .limit(limit)
    )


def _claim(rows: ColumnElement[bool], now: datetime, until: datetime) -> Update:
    """The guarded UPDATE that claims `rows` if they are still claimable."""
    return (
        update(Outbox)
        .where(rows, _claimable(now))
        .values(claimed_until=until)
        .execution_options(synchronize_session=False)
    )


async def _take(
    session: AsyncSession, ids: Sequence[int], now: datetime, until: datetime
) -> set[int]:
    dialect = session.bind.dialect  # type: ignore[union-attr]
    if dialect.update_returning:
        statement = _claim(col(Outbox.id).in_(ids), now, until).returning(col(Outbox.id))
        result = await session.exec(statement)  # type: ignore[call-overload]
        return {int(row_id) for row_id in result.scalars()}
    # SQLite before 3.35 has no RETURNING: one guarded UPDATE per row, judged by its rowcount.
    won: set[int] = set()
    for row_id in ids:
        result = await session.exec(_claim(col(Outbox.id) == row_id, now, until))  # type: ignore[call-overload]
        if result.rowcount == 1:
            won.add(row_id)
    return won


async def release(
    session_factory: SessionFactory,
    row_id: int,
    *,
    claimed_until: datetime,
    writer: SqliteWriter | None = None,
) -> None:
    """Hand a claimed row back unsent, for any sender to take at once (a sender stopping, or
    one that waited so long its lease might run out mid-send). Only a claim still held is
    released: `claimed_until` must be the value `claim_due` returned."""
    await commit_statement(
        session_factory,
        writer,
        update(Outbox)
        .where(
            col(Outbox.id) == row_id,
            col(Outbox.status) == "pending",
            col(Outbox.claimed_until) == claimed_until,
        )
        .values(claimed_until=None)
        .execution_options(synchronize_session=False),
    )


async def release_all(
    session_factory: SessionFactory, *, writer: SqliteWriter | None = None
) -> int:
    """Hand back every claim held, whoever holds it; returns how many. Only for a sender
    that knows no other is running (OutboxSender's `sole_sender`)."""
    return await commit_statement(
        session_factory,
        writer,
        update(Outbox)
        .where(col(Outbox.status) == "pending", col(Outbox.claimed_until).is_not(None))
        .values(claimed_until=None)
        .execution_options(synchronize_session=False),
    )


async def _finish(
    session_factory: SessionFactory, writer: SqliteWriter | None, row_id: int, **values: Any
) -> None:
    # Only a pending row changes: a late answer about a row already settled (by a sender
    # whose lease ran out) must not undo what was recorded.
    await commit_statement(
        session_factory,
        writer,
        update(Outbox)
        .where(col(Outbox.id) == row_id, col(Outbox.status) == "pending")
        .values(claimed_until=None, attempts=Outbox.attempts + 1, **values)
        .execution_options(synchronize_session=False),
    )


async def mark_sent(
    session_factory: SessionFactory,
    row_id: int,
    telegram_message_id: int | None,
    *,
    writer: SqliteWriter | None = None,
) -> None:
    await _finish(
        session_factory,
        writer,
        row_id,
        status="sent",
        sent_at=utcnow(),
        telegram_message_id=telegram_message_id,
    )


async def mark_retry(
    session_factory: SessionFactory,
    row_id: int,
    *,
    error: str,
    delay_seconds: float,
    writer: SqliteWriter | None = None,
) -> None:
    await _finish(
        session_factory,
        writer,
        row_id,
        next_attempt_at=utcnow() + timedelta(seconds=delay_seconds),
        last_error=error[:_ERROR_LIMIT],
    )


async def mark_failed(
    session_factory: SessionFactory,
    row_id: int,
    *,
    error: str,
    writer: SqliteWriter | None = None,
) -> None:
    """Give up on a row for good (the reporter blocked the bot, Telegram refused the
    message). The chat's later rows go on."""
    await _finish(session_factory, writer, row_id, status="failed", last_error=error[:_ERROR_LIMIT])


async def failed_for_case(session: AsyncSession, case_id: int) -> list[Outbox]:
    result = await session.exec(
        select(Outbox)
        .where(Outbox.case_id == case_id, Outbox.status == "failed")
        .order_by(col(Outbox.id))
    )
    return list(result.all())


async def pending_count(session_factory: SessionFactory) -> int:
    async with session_factory() as session:
        result = await session.exec(
            select(func.count()).select_from(Outbox).where(Outbox.status == "pending")
        )
        return int(result.one())
