"""The cases the open data API lists one by one (bot/web/open311.py), and what it may say
of each: its code, status, category, office, region and two dates. Nothing else is read,
so nothing else can leak: no reporter, no reported person, no free text.

A case is listed only once registered (lifecycle.REGISTERED_OR_LATER). A case from a region
(a regency or city, or a province when the regency was not known) with fewer than
SMALL_AREA listable cases in the requested period is left out of the list and only counted
(`withheld`): in a small district a category and a date can be read back to a person. The
period is the one asked for, all time when none is; so a single case (`public_case`) is
published only if its region has enough cases over all time, as in the unfiltered list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.dates import WIB
from bot.services.lifecycle import OPEN, REGISTERED_OR_LATER
from bot.services.offices import in_scope
from bot.services.public_figures import SMALL_AREA
from storage.models import Case, as_utc

OPEN_STATES = tuple(status for status in REGISTERED_OR_LATER if status in OPEN)
CLOSED_STATES = tuple(status for status in REGISTERED_OR_LATER if status not in OPEN)
MAX_PAGE_SIZE = 200


@dataclass(frozen=True)
class PublicCase:
    code: str
    status: str  # lifecycle key
    category: str
    office_code: str
    region_code: str
    requested: date  # filed, in WIB: the day only
    updated: date  # last status change, in WIB

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATES


@dataclass(frozen=True)
class Query:
    office: str | None = None
    region: str | None = None  # a regency's code, or a province's (all its regions)
    category: str | None = None
    state: str | None = None  # "open" | "closed"
    start: date | None = None  # filed on or after, WIB
    end: date | None = None  # filed on or before, WIB
    page: int = 1
    page_size: int = 50


@dataclass(frozen=True)
class CasePage:
    cases: list[PublicCase]
    withheld: int  # matching cases left out because their region is small in the period


# The only columns ever read: a new column cannot reach the public by accident.
_COLUMNS = (
    Case.code,
    Case.status,
    Case.category,
    Case.office_code,
    Case.region_code,
    Case.created_at,
    Case.status_changed_at,
)


def _day(moment: datetime) -> date:
    return as_utc(moment).astimezone(WIB).date()


def _period(start: date | None, end: date | None) -> list[ColumnElement[bool]]:
    """Filing dates as a range of created_at (stored in UTC), days in WIB."""
    where: list[ColumnElement[bool]] = [col(Case.status).in_(REGISTERED_OR_LATER)]
    if start is not None:
        where.append(col(Case.created_at) >= _wib_midnight(start))
    if end is not None:
        where.append(col(Case.created_at) < _wib_midnight(end + timedelta(days=1)))
    return where


def _wib_midnight(day: date) -> datetime:
    # In UTC, as created_at is stored (as services/statistics.py compares it).
    return datetime.combine(day, time.min, tzinfo=WIB).astimezone(UTC)


@dataclass(frozen=True)
class Regions:
    """The regions with listable cases in a period: `big` (at least SMALL_AREA, whose cases
    are listed) and `small` (the rest, whose cases are withheld and counted)."""

    big: frozenset[str]
    small: frozenset[str]


async def published_regions(
    session: AsyncSession, start: date | None = None, end: date | None = None
) -> Regions:
    """Cases are listed when their region is in `big`, not when it is missing from
    `small`: a copy kept for a while (bot/web caches it) then errs on the safe side, since
    a region whose first case was registered since is in neither, and its case is withheld
    rather than published."""
    counts = (
        await session.exec(
            select(col(Case.region_code), func.count())
            .where(*_period(start, end))
            .group_by(col(Case.region_code))
        )
    ).all()
    return Regions(
        big=frozenset(region for region, count in counts if count >= SMALL_AREA),
        small=frozenset(region for region, count in counts if count < SMALL_AREA),
    )


def _filters(query: Query) -> list[ColumnElement[bool]]:
    where = _period(query.start, query.end)
    if query.office and (scoped := in_scope(query.office)) is not None:
        where.append(scoped)
    if query.region:
        region = col(Case.region_code)
        if "." in query.region:
            where.append(region == query.region)
        else:  # the province itself and its regencies ("62", "62.xx"), nothing of "620"
            where.append(
                or_(
                    region == query.region,
                    and_(region > f"{query.region}.", region < f"{query.region}/"),
                )
            )
    if query.category:
        where.append(col(Case.category) == query.category)
    if query.state == "open":
        where.append(col(Case.status).in_(OPEN_STATES))
    elif query.state == "closed":
        where.append(col(Case.status).in_(CLOSED_STATES))
    return where


async def public_cases(
    session: AsyncSession, query: Query, regions: Regions | None = None
) -> CasePage:
    """Newest first: the page, and how many matching cases were withheld (counted in the
    small regions only, a few rows each, rather than over every case). `regions` is
    published_regions() for the query's period, if the caller has it at hand."""
    if regions is None:
        regions = await published_regions(session, query.start, query.end)
    where = _filters(query)
    size = max(1, min(query.page_size, MAX_PAGE_SIZE))
    rows = (
        await session.exec(
            select(*_COLUMNS)
            .where(*where, col(Case.region_code).in_(regions.big))
            .order_by(col(Case.created_at).desc(), col(Case.id).desc())
            .offset((max(1, query.page) - 1) * size)
            .limit(size)
        )
    ).all()
    withheld = 0
    if regions.small:
        withheld = (
            await session.exec(
                select(func.count()).where(*where, col(Case.region_code).in_(regions.small))
            )
        ).one()
    return CasePage([_public(row) for row in rows], int(withheld))


async def public_case(
    session: AsyncSession, code: str, regions: Regions | None = None
) -> PublicCase | None:
    """The case with this (canonical) code if the unfiltered list would show it: its region
    has enough cases over all time (`regions`: published_regions() without a period)."""
    row = (
        await session.exec(select(*_COLUMNS).where(col(Case.code) == code, *_period(None, None)))
    ).first()
    if row is None:
        return None
    if regions is None:
        regions = await published_regions(session)
    return _public(row) if row.region_code in regions.big else None


def _public(row: tuple) -> PublicCase:  # type: ignore[type-arg]
    code, status, category, office_code, region_code, created_at, changed_at = row
    return PublicCase(
        code=code,
        status=status,
        category=category,
        office_code=office_code,
        region_code=region_code,
        requested=_day(created_at),
        updated=_day(changed_at),
    )
