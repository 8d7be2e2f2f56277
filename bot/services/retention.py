"""Data retention: a reporter's chat id and identity are erased once their case has been
closed (or rejected) for the configured time; the case itself is kept for the record."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col, select

from storage.db import SessionFactory
from storage.models import Case, Reporter, utcnow

FINAL_STATUSES = ("closed", "rejected")


async def purge_reporters(
    session_factory: SessionFactory, *, retention_days: int, now: datetime | None = None
) -> int:
    """Erase reporter details of cases final for more than `retention_days`; returns how
    many reporters were erased."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    finished = select(Case.reporter_id).where(
        col(Case.status).in_(FINAL_STATUSES), col(Case.status_changed_at) < cutoff
    )
    async with session_factory() as session, session.begin():
        result = await session.exec(
            update(Reporter)
            .where(
                col(Reporter.id).in_(finished),
                col(Reporter.chat_id).is_not(None)
                | col(Reporter.name).is_not(None)
                | col(Reporter.phone).is_not(None),
            )
            .values(chat_id=None, name=None, phone=None)
        )
    return result.rowcount
