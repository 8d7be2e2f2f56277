"""Cases whose reported person's name or agency contains a typed word, newest first, read
through each engine's trigram index (migration 0011): an FTS5 trigram table on SQLite,
pg_trgm GIN indexes on PostgreSQL. Only the case's name and agency are searched, never
anything the reporter wrote or who they are.

"Newest" is the highest id: cases are numbered as they are filed, so id order is filing
order, and both indexes can hand their matches over in it and stop at the limit. At a
million cases a common name (a tenth of all cases) and a rare one both take a few
milliseconds (bench/RESULTS.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, bindparam, column, func, or_, table
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Case

# A trigram index knows no shorter piece of text.
INDEXED_LENGTH = 3
# An office with fewer cases than this is searched through its own cases, all of them read
# from a covering index (11 ms for a regency of 6,400 cases on SQLite): walking the trigram
# index's matches newest first would meet hundreds of other offices' cases for each of
# its own (350 ms for a common name at a regency's desk at a million cases).
SMALL_OFFICE = 30_000
# SQLite's FTS5 table (migration 0011), outside the models: it is no table of our own.
_SEARCH = table("case_search", column("rowid"), column("case_search"))


def indexed_words(words: Sequence[str]) -> list[str]:
    return [word for word in words if len(word) >= INDEXED_LENGTH]


async def newest_matching(
    session: AsyncSession,
    words: Sequence[str],
    *,
    within: ColumnElement[bool] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """(id, asn_name, agency_key) of the newest `limit` cases whose name or agency contains
    any of `words` (each at least INDEXED_LENGTH long), among those `within` admits."""
    if session.bind.dialect.name != "sqlite":
        return await newest_containing(session, words, within=within, limit=limit)
    if within is not None and await _few(session, within):
        return await newest_containing(session, words, within=within, limit=limit)
    return await _sqlite(session, words, within=within, limit=limit)


async def _few(session: AsyncSession, within: ColumnElement[bool]) -> bool:
    """Whether an office has fewer than SMALL_OFFICE cases (counted from an index, and
    only that far)."""
    counted = select(col(Case.id)).where(within).limit(SMALL_OFFICE).subquery()
    return (await session.exec(select(func.count()).select_from(counted))).one() < SMALL_OFFICE


async def newest_containing(
    session: AsyncSession,
    words: Sequence[str],
    *,
    within: ColumnElement[bool] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    """The same without the trigram index: each of the office's cases read from the
    covering index ix_case_office_names (or, for words too short for any index, the newest
    cases of all). Typed % and _ are letters, not LIKE wildcards (`/find %` listed every
    case). On PostgreSQL this is also the search through the trigram index: the planner
    chooses the GIN indexes for the LIKEs, or walks the newest cases back."""
    statement = (
        select(col(Case.id), col(Case.asn_name), col(Case.agency_key))
        .where(
            *(() if within is None else (within,)),
            or_(
                *(func.lower(Case.asn_name).like(_pattern(word), escape="\\") for word in words),
                *(col(Case.agency_key).like(_pattern(word), escape="\\") for word in words),
            ),
        )
        .order_by(col(Case.id).desc())
        .limit(limit)
    )
    return (await session.exec(statement)).all()  # type: ignore[call-overload]


async def _sqlite(
    session: AsyncSession,
    words: Sequence[str],
    *,
    within: ColumnElement[bool] | None,
    limit: int,
) -> Sequence[Row[Any]]:
    # Each word a quoted FTS5 string: a substring, its quotes doubled, never an operator.
    query = " OR ".join('"' + word.replace('"', '""') + '"' for word in words)
    # FTS5 walks its matches newest first, each case found by its id, until the limit.
    statement = (
        select(col(Case.id), col(Case.asn_name), col(Case.agency_key))
        .select_from(_SEARCH)
        .join(Case, col(Case.id) == _SEARCH.c.rowid)
        .where(_SEARCH.c.case_search.op("MATCH")(query), *(() if within is None else (within,)))
        .order_by(_SEARCH.c.rowid.desc())
        .limit(limit)
    )
    return (await session.exec(statement)).all()  # type: ignore[call-overload]


def _pattern(word: str) -> Any:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # Written into the statement, not sent as a parameter: the planner then knows the text
    # and chooses between the trigram index (a rare name) and walking the newest cases
    # back (a common one); with a generic plan it would guess one way for both.
    return bindparam(None, f"%{escaped}%", literal_execute=True)
