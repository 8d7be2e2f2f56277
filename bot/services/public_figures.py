"""The figures the public site shows (bot/web): /stats' counts (services/statistics.py)
plus the two the public asks for that staff did not: how many reports were registered, and
the median time from a report to the decision on it.

Counts only, never a case: the figures of an office with fewer than SMALL_AREA cases are
not published at all (`too_few`), since a handful of counts by week and category could be
read back to the one case, and so to the people in it."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.lifecycle import DECISIONS, REGISTERED_OR_LATER
from bot.services.offices import RI, in_scope
from bot.services.statistics import CaseStatistics, case_statistics
from storage.models import Case, CaseEvent, as_utc

# Fewer cases than this in an area (an office's, or a region's in the open data) are not
# published by that area: they are counted in the figures of the level above.
SMALL_AREA = 5


@dataclass(frozen=True)
class PublicFigures:
    scope: str
    statistics: CaseStatistics
    registered: int  # registered or later (lifecycle.REGISTERED_OR_LATER), ever
    days_to_decision: float | None  # median, report filed -> first decision; None before one

    @property
    def too_few(self) -> bool:
        return self.scope != RI and self.statistics.headline.received < SMALL_AREA


async def public_figures(
    session: AsyncSession, *, today: date, scope: str = RI, weeks: int = 12
) -> PublicFigures:
    """Twelve queries whatever the number of cases: /stats' nine, the registered count,
    and the decided cases' filing and decision times (few beside the rest)."""
    scoped = () if (within := in_scope(scope)) is None else (within,)
    registered = (
        await session.exec(
            select(func.count()).where(col(Case.status).in_(REGISTERED_OR_LATER), *scoped)
        )
    ).one()
    # The first decision of each decided case, read from the audit trail: the status now
    # may be a later one (forwarded, closed), and only the trail knows when it was decided.
    decided = (
        await session.exec(
            select(Case.created_at, func.min(CaseEvent.created_at))
            .join(CaseEvent, col(CaseEvent.case_id) == col(Case.id))
            .where(col(CaseEvent.to_status).in_(DECISIONS), *scoped)
            .group_by(col(Case.id), col(Case.created_at))
        )
    ).all()
    days = [
        (as_utc(decision) - as_utc(filed)).total_seconds() / 86400
        for filed, decision in decided
        if decision is not None
    ]
    return PublicFigures(
        scope=scope,
        statistics=await case_statistics(session, today=today, weeks=weeks, scope=scope),
        registered=int(registered),
        days_to_decision=round(statistics.median(days), 1) if days else None,
    )
