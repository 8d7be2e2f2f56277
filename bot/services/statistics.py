"""The figures staff and the public ask for, aggregated in SQL (never row by row).

Nine queries whatever the number of cases: a GROUP BY each for status, category, province
and region (each answered from its index), one for the weekly trend (a range count per
week), one counting findings, one for the headline, and two reading the established
cases alone (few beside the rest) for the time to a sanction and repeat offenders. Each
is limited to an office's cases when one is asked for.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, union_all
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import regions
from bot.services.catalogue import CATEGORY_KEYS
from bot.services.dates import WIB
from bot.services.follow_up import DECLINED, IMPOSED
from bot.services.lifecycle import STATUSES, Status
from bot.services.offices import RI, in_scope
from storage.models import Case, as_utc, utcnow


@dataclass(frozen=True)
class Headline:
    received: int  # reports and findings, each event once (merged duplicates left out)
    findings: int
    proven: int
    # The follow-up chain of established violations (services/follow_up.py): forwarded
    # with a recommendation; due (answered, or past the date the answer was due); of
    # those, the sanction imposed (followed up), declined, or no response.
    forwarded: int
    due: int
    followed_up: int
    declined: int
    no_response: int
    follow_up_rate: float | None  # followed_up / due; None while nothing is due
    # Median days from the report to the PPK's recorded sanction; None before the first.
    days_to_sanction: float | None
    # Civil servants (one NIP, or one name at one agency) with more than one established
    # violation.
    repeat_offenders: int
    provinces_with_proven: int
    provinces_total: int
    province_share: float  # provinces_with_proven / provinces_total


@dataclass(frozen=True)
class CaseStatistics:
    by_status: dict[str, int]  # every status key, lifecycle order
    by_category: dict[str, int]  # every category key, catalogue order
    by_province: dict[str, int]  # only provinces with cases, most cases first
    # By where it happened (a regency/city's code, or a province's when the regency was
    # not known), only regions with cases, most first.
    by_region: dict[str, int]
    by_week: list[tuple[date, int]]  # (Monday, cases filed that week), oldest first
    headline: Headline


async def case_statistics(
    session: AsyncSession,
    *,
    today: date,
    weeks: int = 12,
    scope: str = RI,
    now: datetime | None = None,
) -> CaseStatistics:
    """Counts over the cases of office `scope` and the offices below it (all of them for
    RI). `today` is the date in Indonesia (WIB); weeks are ISO weeks (Monday first) in WIB,
    the last `weeks` of them including the current one."""
    scoped = () if (within := in_scope(scope)) is None else (within,)
    # A duplicate merged into another case is the same event: counted once, by its
    # survivor (it still shows in by_status as merged).
    where = (*scoped, col(Case.status) != Status.MERGED)
    # One GROUP BY each: status is answered from ix_case_status_created alone, and two
    # plain scans beat one three-column grouping, which has to sort every row.
    by_status = await _counts(session, col(Case.status), scoped)
    by_category = await _unmerged_counts(session, col(Case.category), scoped)
    by_province = await _unmerged_counts(session, col(Case.province), scoped)
    by_region = await _unmerged_counts(session, col(Case.region_code), scoped)
    findings = (
        await session.exec(select(func.count()).where(col(Case.kind) == "finding", *where))
    ).one()

    # "Established" is a case whose violation was ever established (terbukti): one closed
    # afterwards still counts, since closing does not undo the decision, while one closed
    # after not_established does not (the current status alone cannot tell those two
    # apart). Answered from the partial index ix_case_proven_cover alone, as are the
    # time to a sanction and the repeat offenders below.
    now = now or utcnow()
    answered = col(Case.ppk_response).is_not(None)
    overdue = and_(col(Case.ppk_response).is_(None), col(Case.follow_up_due_at) < now)
    proven, forwarded, due, followed_up, declined, no_response, proven_provinces = (
        await session.exec(
            select(
                func.count(),
                func.count(col(Case.recommendation_sent_at)),
                func.count(case((or_(answered, overdue), 1))),
                func.count(case((col(Case.ppk_response) == IMPOSED, 1))),
                func.count(case((col(Case.ppk_response) == DECLINED, 1))),
                func.count(case((overdue, 1))),
                func.count(func.distinct(col(Case.province))),
            ).where(col(Case.proven_at).is_not(None), *scoped)
        )
    ).one()

    sanctioned = (
        await session.exec(
            select(Case.created_at, Case.followed_up_at).where(
                col(Case.proven_at).is_not(None), col(Case.ppk_response) == IMPOSED, *scoped
            )
        )
    ).all()
    durations = [
        (as_utc(done) - as_utc(filed)).total_seconds() / 86400
        for filed, done in sanctioned
        if done is not None
    ]
    # Grouped in SQL as stored, then by person in Python (casefold is not SQL's lower()):
    # one row per established case crossing to Python took 1.5 s at a million cases.
    offenders: Counter[object] = Counter()
    person = (col(Case.asn_nip), col(Case.asn_name), col(Case.agency_key))
    for nip, name, agency, count in (
        await session.exec(
            select(*person, func.count())
            .where(col(Case.proven_at).is_not(None), *scoped)
            .group_by(*person)
        )
    ).all():
        offenders[nip or (name.casefold(), agency)] += count

    provinces_total = len(regions.provinces()) if scope == RI else 1
    headline = Headline(
        received=sum(by_status.values()) - by_status.get(Status.MERGED, 0),
        findings=int(findings),
        proven=proven,
        forwarded=forwarded,
        due=due,
        followed_up=followed_up,
        declined=declined,
        no_response=no_response,
        follow_up_rate=followed_up / due if due else None,
        days_to_sanction=round(statistics.median(durations), 1) if durations else None,
        repeat_offenders=sum(1 for count in offenders.values() if count > 1),
        provinces_with_proven=proven_provinces,
        provinces_total=provinces_total,
        province_share=proven_provinces / provinces_total if provinces_total else 0.0,
    )
    return CaseStatistics(
        # Known keys first, in their canonical order; a key no longer in the catalogue
        # (old data) is still counted rather than silently dropped.
        by_status=_zero_filled(STATUSES, by_status),
        by_category=_zero_filled(CATEGORY_KEYS, by_category),
        by_province=dict(sorted(by_province.items(), key=lambda item: (-item[1], item[0]))),
        by_region=dict(sorted(by_region.items(), key=lambda item: (-item[1], item[0]))),
        by_week=await _by_week(session, today, weeks, scoped),
        headline=headline,
    )


async def _counts(
    session: AsyncSession, column: ColumnElement[str], where: tuple[ColumnElement[bool], ...]
) -> Counter[str]:
    rows = (await session.exec(select(column, func.count()).where(*where).group_by(column))).all()
    return Counter(dict(rows))


async def _unmerged_counts(
    session: AsyncSession, column: ColumnElement[str], scoped: tuple[ColumnElement[bool], ...]
) -> Counter[str]:
    """Every case by `column`, less the merged ones, in one statement of two branches. Not
    one GROUP BY with `status != merged`: the column's index does not hold the status, so
    that read every case's row (0.2-0.4 s a column at 100k cases on SQLite, most of the
    public site's count), while every case is counted from the column's index alone and
    the merged few are found through ix_case_status_created."""
    every = select(column, func.count()).where(*scoped).group_by(column)
    merged = (
        select(column, -func.count())
        .where(*scoped, col(Case.status) == Status.MERGED)
        .group_by(column)
    )
    counts: Counter[str] = Counter()
    for key, count in (await session.exec(union_all(every, merged))).all():
        counts[key] += count
    return Counter({key: count for key, count in counts.items() if count > 0})


def _zero_filled(keys: tuple[str, ...], counts: Counter[str]) -> dict[str, int]:
    filled = dict.fromkeys(keys, 0)
    for key, count in counts.items():
        filled[key] = filled.get(key, 0) + count
    return filled


async def _by_week(
    session: AsyncSession, today: date, weeks: int, scoped: tuple[ColumnElement[bool], ...] = ()
) -> list[tuple[date, int]]:
    """Cases filed per week, merged duplicates left out, oldest first. Each week is the
    range of created_at between two Mondays at 00:00 WIB, so no date function of either
    database is needed."""
    if weeks <= 0:
        return []
    this_monday = today - timedelta(days=today.weekday())
    mondays = [this_monday - timedelta(weeks=weeks - 1 - index) for index in range(weeks + 1)]
    # In UTC, as created_at is stored (SQLite keeps no offset, so a WIB time would be
    # compared as if it were UTC).
    bounds = [datetime.combine(monday, time.min, tzinfo=WIB).astimezone(UTC) for monday in mondays]
    filed = col(Case.created_at)
    # A count per week, each a range of the created_at index: one pass computing twelve
    # conditions per row took 0.7 s at a million cases on SQLite, these 0.04 s. Less that
    # week's merged cases, a range of ix_case_status_created: `status != merged` in the
    # one count read every row of the week (0.19 s of 0.25 at 100k cases on SQLite).
    merged = col(Case.status) == Status.MERGED
    weekly = [
        select(func.count())
        .select_from(Case)
        .where(filed >= start, filed < end, *scoped)
        .scalar_subquery()
        - select(func.count())
        .select_from(Case)
        .where(merged, filed >= start, filed < end, *scoped)
        .scalar_subquery()
        for start, end in itertools.pairwise(bounds)
    ]
    counts = (await session.exec(select(*weekly))).one()
    return list(zip(mondays[:-1], (int(count) for count in counts), strict=True))
