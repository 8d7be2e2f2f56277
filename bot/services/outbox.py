"""The notification outbox: rows written with the change that caused them, delivered later
by the sender (bot/delivery.py), so a notification survives crashes and Telegram errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, or_, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.db import SessionFactory
from storage.models import Outbox, utcnow


def enqueue(
    session: AsyncSession,
    *,
    chat_id: int,
    kind: str,
    params: dict[str, Any],
    locale: str,
    case_id: int | None = None,
) -> Outbox:
    """Stage a notification in the caller's transaction (never commits)."""
    row = Outbox(chat_id=chat_id, kind=kind, params=params, locale=locale, case_id=case_id)
    session.add(row)
    return row


async def claim_due(
    session_factory: SessionFactory, *, limit: int, lease_seconds: float = 60
) -> list[Outbox]:
    """Claim due rows for delivery: at most the oldest pending row of each chat, so a chat's
    messages go out in order even across retries. A claim expires after `lease_seconds`, so
    rows of a sender that died are picked up again."""
    now = utcnow()
    async with session_factory() as session, session.begin():
        oldest_per_chat = (
            select(func.min(Outbox.id)).where(Outbox.status == "pending").group_by(Outbox.chat_id)
        )
        query = (
            select(Outbox)
            .where(
                col(Outbox.id).in_(oldest_per_chat),
                col(Outbox.next_attempt_at) <= now,
                or_(col(Outbox.claimed_until).is_(None), col(Outbox.claimed_until) < now),
            )
            .order_by(col(Outbox.id))
            .limit(limit)
        )
        if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
            # Several instances claim concurrently: each skips rows another has locked.
            query = query.with_for_update(skip_locked=True)
        rows = list((await session.exec(query)).all())
        if rows:
            await session.exec(
                update(Outbox)
                .where(col(Outbox.id).in_([row.id for row in rows]))
                .values(claimed_until=now + timedelta(seconds=lease_seconds))
            )
    return rows


async def mark_sent(
    session_factory: SessionFactory, row_id: int, telegram_message_id: int | None
) -> None:
    async with session_factory() as session, session.begin():
        await session.exec(
            update(Outbox)
            .where(col(Outbox.id) == row_id)
            .values(
                status="sent",
                sent_at=utcnow(),
                claimed_until=None,
                telegram_message_id=telegram_message_id,
                attempts=Outbox.attempts + 1,
            )
        )


async def mark_retry(
    session_factory: SessionFactory, row_id: int, *, error: str, delay_seconds: float
) -> None:
    async with session_factory() as session, session.begin():
        await session.exec(
            update(Outbox)
            .where(col(Outbox.id) == row_id)
            .values(
                attempts=Outbox.attempts + 1,
                next_attempt_at=utcnow() + timedelta(seconds=delay_seconds),
                claimed_until=None,
                last_error=error[:1000],
            )
        )


async def mark_failed(session_factory: SessionFactory, row_id: int, *, error: str) -> None:
    async with session_factory() as session, session.begin():
        await session.exec(
            update(Outbox)
            .where(col(Outbox.id) == row_id)
            .values(
                status="failed",
                claimed_until=None,
                last_error=error[:1000],
                attempts=Outbox.attempts + 1,
            )
        )


async def failed_for_case(session: AsyncSession, case_id: int) -> list[Outbox]:
    result = await session.exec(
        select(Outbox).where(Outbox.case_id == case_id, Outbox.status == "failed")
    )
    return list(result.all())


async def pending_count(session_factory: SessionFactory) -> int:
    async with session_factory() as session:
        result = await session.exec(
            select(func.count()).select_from(Outbox).where(Outbox.status == "pending")
        )
        return int(result.one())
