"""The figures staff and the public ask for, aggregated in SQL (never row by row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Date, String, cast, func, type_coerce
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.catalogue import CATEGORY_KEYS, STATUS_KEYS, provinces
from bot.services.dates import WIB
from storage.models import Case, CaseEvent


@dataclass(frozen=True)
class Headline:
    received: int
    proven: int
    followed_up: int
    follow_up_rate: float | None
    provinces_with_proven: int
    provinces_total: int
    province_share: float


@dataclass(frozen=True)
class CaseStatistics:
    by_status: dict[str, int]
    by_category: dict[str, int]
    by_province: dict[str, int]
    by_week: list[tuple[date, int]]
    headline: Headline


async def case_statistics(session: AsyncSession, *, today: date, weeks: int = 12) -> CaseStatistics:
    by_status = dict.fromkeys(STATUS_KEYS, 0) | dict(
        (await session.exec(select(Case.status, func.count()).group_by(Case.status))).all()
    )
    by_category = dict.fromkeys(CATEGORY_KEYS, 0) | dict(
        (await session.exec(select(Case.category, func.count()).group_by(Case.category))).all()
    )
    province_counts = (
        await session.exec(select(Case.province, func.count()).group_by(Case.province))
    ).all()
    by_province = dict(sorted(province_counts, key=lambda item: (-item[1], item[0])))

    # "Proven" means the case was found proven at some point, even if closed since: the
    # audit trail records it, which a later status change does not erase.
    proven_ids = select(CaseEvent.case_id).where(CaseEvent.to_status == "proven").distinct()
    proven = (
        await session.exec(
            select(func.count()).select_from(Case).where(col(Case.id).in_(proven_ids))
        )
    ).one()
    followed_up = (
        await session.exec(
            select(func.count())
            .select_from(Case)
            .where(col(Case.id).in_(proven_ids), col(Case.followed_up_at).is_not(None))
        )
    ).one()
    proven_provinces = (
        await session.exec(
            select(func.count(func.distinct(Case.province))).where(col(Case.id).in_(proven_ids))
        )
    ).one()
    total_provinces = len(provinces())
    headline = Headline(
        received=sum(by_status.values()),
        proven=int(proven),
        followed_up=int(followed_up),
        follow_up_rate=(followed_up / proven) if proven else None,
        provinces_with_proven=int(proven_provinces),
        provinces_total=total_provinces,
        province_share=proven_provinces / total_provinces,
    )
    return CaseStatistics(
        by_status, by_category, by_province, await _by_week(session, today, weeks), headline
    )


async def _by_week(session: AsyncSession, today: date, weeks: int) -> list[tuple[date, int]]:
    """Cases filed per ISO week (Monday first), oldest first, zero-filled."""
    this_monday = today - timedelta(days=today.weekday())
    first_monday = this_monday - timedelta(weeks=weeks - 1)
    since = datetime.combine(first_monday, datetime.min.time(), tzinfo=WIB)
    # Grouped by (UTC) day in SQL, folded into weeks here: at most weeks*7 rows come back.
    if session.bind.dialect.name == "sqlite":  # type: ignore[union-attr]
        day = type_coerce(func.date(Case.created_at), String)  # SQLite has no DATE type
    else:
        day = cast(Case.created_at, Date)
    rows = (
        await session.exec(
            select(day, func.count()).where(col(Case.created_at) >= since).group_by(day)
        )
    ).all()
    counts = {first_monday + timedelta(weeks=index): 0 for index in range(weeks)}
    for filed, count in rows:
        filed_day = filed if isinstance(filed, date) else date.fromisoformat(str(filed)[:10])
        monday = filed_day - timedelta(days=filed_day.weekday())
        if monday in counts:
            counts[monday] += count
    return sorted(counts.items())
