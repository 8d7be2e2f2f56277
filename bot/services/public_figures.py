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

from sqlalchemy import ColumnElement, func, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.lifecycle import DECIDED, DECISIONS, REGISTERED_OR_LATER, Status
from bot.services.offices import RI, in_scope
from bot.services.statistics import CaseStatistics, case_statistics
from storage.models import Case, CaseEvent, as_utc

# Fewer cases than this in an area (an office's, or a region's in the open data) are not
# published by that area: they are counted in the figures of the level above.
SMALL_AREA = 5
# The median time to a decision is taken over the latest decided reports (by filing), not
# all of them: reading every decided case's audit trail took 0.94 s at 100k cases on SQLite
# (a lookup per case: 10 s at a million), the latest 2,000 35 ms (a province's 180 ms);
# and they say how an office is doing now.
DECISION_SAMPLE = 2_000


@dataclass(frozen=True)
class PublicFigures:
    scope: str
    statistics: CaseStatistics
    registered: int  # registered or later (lifecycle.REGISTERED_OR_LATER), ever
    # Median, report filed -> its first decision, over the latest DECISION_SAMPLE decided
    # reports; None before the first decision.
    days_to_decision: float | None

    @property
    def too_few(self) -> bool:
        return self.scope != RI and self.statistics.headline.received < SMALL_AREA


async def public_figures(
    session: AsyncSession, *, today: date, scope: str = RI, weeks: int = 12
) -> PublicFigures:
    """Eleven queries whatever the number of cases: /stats' nine, the registered count,
    and the median's."""
    scoped = () if (within := in_scope(scope)) is None else (within,)
    registered = (
        await session.exec(
            select(func.count()).where(col(Case.status).in_(REGISTERED_OR_LATER), *scoped)
        )
    ).one()
    return PublicFigures(
        scope=scope,
        statistics=await case_statistics(session, today=today, weeks=weeks, scope=scope),
        registered=int(registered),
        days_to_decision=await _days_to_decision(session, scoped),
    )


async def _days_to_decision(
    session: AsyncSession, scoped: tuple[ColumnElement[bool], ...]
) -> float | None:
    """The latest decided reports, a branch per status so each reads its (status,
    created_at) index in order (one condition over the five sorted every decided case),
    joined in SQL so that only the sample's rows cross to Python; then the first decision
    in each one's audit trail: the status now may be a later one (forwarded, closed), and
    only the trail knows when it was decided."""
    branches = [
        select(
            select(col(Case.id).label("id"), col(Case.created_at).label("filed"))
            .where(col(Case.status) == status, *scoped)
            .order_by(col(Case.created_at).desc())
            .limit(DECISION_SAMPLE)
            .subquery()
        )
        for status in (*DECIDED, Status.CLOSED)
    ]
    decided = union_all(*branches).subquery()
    latest = (
        select(decided.c.id, decided.c.filed)
        .order_by(decided.c.filed.desc())
        .limit(DECISION_SAMPLE)
        .subquery()
    )
    rows = (
        await session.exec(
            select(latest.c.filed, func.min(CaseEvent.created_at))
            .join(CaseEvent, col(CaseEvent.case_id) == latest.c.id)
            .where(col(CaseEvent.to_status).in_(DECISIONS))
            .group_by(latest.c.id, latest.c.filed)
        )
    ).all()
    days = [
        (as_utc(decision) - as_utc(filed)).total_seconds() / 86400
        for filed, decision in rows
        if decision is not None
    ]
    return round(statistics.median(days), 1) if days else None
