"""The figures staff and the public ask for, aggregated in SQL (never row by row).

Five queries whatever the number of cases: a GROUP BY each for status, category and
province, one for the weekly trend (at most `weeks * 7` rows back) and one for the headline.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, Date, cast, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.catalogue import CATEGORY_KEYS, STATUS_KEYS, provinces
from bot.services.dates import WIB
from storage.models import Case, CaseEvent

# The IANA name of WIB, for PostgreSQL's timezone(); SQLite gets the fixed offset instead.
_WIB_ZONE = "Asia/Jakarta"
_WIB_SQLITE_MODIFIER = "+7 hours"


@dataclass(frozen=True)
class Headline:
    received: int
    proven: int
    followed_up: int
    follow_up_rate: float | None  # followed_up / proven; None while nothing is proven
    provinces_with_proven: int
    provinces_total: int
    province_share: float  # provinces_with_proven / provinces_total


@dataclass(frozen=True)
class CaseStatistics:
    by_status: dict[str, int]  # every status key, lifecycle order
    by_category: dict[str, int]  # every category key, catalogue order
    by_province: dict[str, int]  # only provinces with cases, most cases first
    by_week: list[tuple[date, int]]  # (Monday, cases filed that week), oldest first
    headline: Headline


def was_proven() -> ColumnElement[bool]:
    """The rule for "proven": the audit trail holds a change of the case to `proven`
    (a CaseEvent with to_status == "proven").

    A proven case that was closed later still counts, since closing does not undo the
    finding, while a case closed after `not_proven` does not; the current status alone
    cannot tell those two closed cases apart. As an IN (subquery) the database reads the
    proven events once and fetches those cases by primary key (a hash semi-join on
    PostgreSQL): about 0.2 s for 1M cases on SQLite, where a correlated EXISTS per case
    took seconds.
    """
    proven_ids = select(CaseEvent.case_id).where(col(CaseEvent.to_status) == "proven")
    return col(Case.id).in_(proven_ids)


async def case_statistics(session: AsyncSession, *, today: date, weeks: int = 12) -> CaseStatistics:
    """Counts over all cases. `today` is the date in Indonesia (WIB); weeks are ISO weeks
    (Monday first) in WIB, the last `weeks` of them including the current one."""
    # One GROUP BY each: status is answered from ix_case_status_created alone, and two
    # plain scans beat one three-column grouping, which has to sort every row.
    by_status = await _counts(session, col(Case.status))
    by_category = await _counts(session, col(Case.category))
    by_province = await _counts(session, col(Case.province))

    proven, followed_up, proven_provinces = (
        await session.exec(
            select(
                func.count(),
                func.count(col(Case.followed_up_at)),
                func.count(func.distinct(col(Case.province))),
            ).where(was_proven())
        )
    ).one()

    provinces_total = len(provinces())
    headline = Headline(
        received=sum(by_status.values()),
        proven=proven,
        followed_up=followed_up,
        follow_up_rate=followed_up / proven if proven else None,
        provinces_with_proven=proven_provinces,
        provinces_total=provinces_total,
        province_share=proven_provinces / provinces_total if provinces_total else 0.0,
    )
    return CaseStatistics(
        # Known keys first, in their canonical order; a key no longer in the catalogue
        # (old data) is still counted rather than silently dropped.
        by_status=_zero_filled(STATUS_KEYS, by_status),
        by_category=_zero_filled(CATEGORY_KEYS, by_category),
        by_province=dict(sorted(by_province.items(), key=lambda item: (-item[1], item[0]))),
        by_week=await _by_week(session, today, weeks),
        headline=headline,
    )


async def _counts(session: AsyncSession, column: ColumnElement[str]) -> Counter[str]:
    rows = (await session.exec(select(column, func.count()).group_by(column))).all()
    return Counter(dict(rows))


def _zero_filled(keys: tuple[str, ...], counts: Counter[str]) -> dict[str, int]:
    filled = dict.fromkeys(keys, 0)
    for key, count in counts.items():
        filled[key] = filled.get(key, 0) + count
    return filled


def _wib_day(session: AsyncSession) -> ColumnElement[object]:
    """created_at as a date in WIB: a case filed on Monday 02:00 WIB (Sunday in UTC) belongs
    to Monday's week, the week staff in Indonesia see it in."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # Stored as naive UTC text; date() with a modifier gives 'YYYY-MM-DD' in WIB.
        return func.date(col(Case.created_at), _WIB_SQLITE_MODIFIER)
    if dialect == "postgresql":
        # timezone(zone, timestamptz) gives the wall time there, independent of the session's
        # TimeZone setting, which a plain cast to date would depend on.
        return cast(func.timezone(_WIB_ZONE, col(Case.created_at)), Date)
    return cast(col(Case.created_at), Date)


async def _by_week(session: AsyncSession, today: date, weeks: int) -> list[tuple[date, int]]:
    """Cases filed per week, zero-filled, oldest first. Grouped by day in SQL (portable
    where week functions are not) and folded into weeks here."""
    if weeks <= 0:
        return []
    this_monday = today - timedelta(days=today.weekday())
    first_monday = this_monday - timedelta(weeks=weeks - 1)
    since = datetime.combine(first_monday, time.min, tzinfo=WIB)
    until = datetime.combine(this_monday + timedelta(weeks=1), time.min, tzinfo=WIB)
    day = _wib_day(session).label("day")
    rows = (
        await session.exec(
            select(day, func.count())
            .where(col(Case.created_at) >= since, col(Case.created_at) < until)
            .group_by(day)
        )
    ).all()
    counts = {first_monday + timedelta(weeks=index): 0 for index in range(weeks)}
    for filed, count in rows:
        # SQLite answers text, PostgreSQL a date; a driver might answer a datetime.
        if isinstance(filed, datetime):
            filed_day = filed.date()
        elif isinstance(filed, date):
            filed_day = filed
        else:
            filed_day = date.fromisoformat(str(filed)[:10])
        monday = filed_day - timedelta(days=filed_day.weekday())
        if monday in counts:
            counts[monday] += count
    return list(counts.items())
