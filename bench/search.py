"""/find by name at a million cases, on SQLite and PostgreSQL, through CaseQueries.find
(the service the handler calls): a name reported ten times among a million, and the
generator's commonest name (tens of thousands of cases), for the whole country and for a
regency's desk. Each time is the median of 15 after a warm-up.

The cases are bench/cases.py's (160 names, Zipf-distributed), loaded the way the growth
section loads them; every 100,000th is given a name nobody else has."""

from __future__ import annotations

import time

from bench.cases import CaseFactory, Tables, load_postgresql, load_sqlite
from bench.context import BenchContext
from bench.databases import available_backends, fresh_database
from bench.report import Result
from bench.timing import median_ms
from bot.services.case_queries import CaseQueries
from bot.services.offices import covers
from storage.db import create_engine, create_session_factory

SECTION = "search"
LOAD_BATCH = 50_000
TARGET_MS = 20.0
RARE_NAME = "Theresia Pandjaitan"
RARE_EVERY = 100_000
_NAME = 4  # asn_name's place in bench.cases.CASE_COLUMNS


def with_rare_names(tables: Tables, every: int) -> Tables:
    tables.cases = [
        (*row[:_NAME], RARE_NAME, *row[_NAME + 1 :]) if row[0] % every == 0 else row
        for row in tables.cases
    ]
    return tables


async def load(url: str, backend: str, factory: CaseFactory, size: int, every: int) -> None:
    loaded = 0
    while loaded < size:
        count = min(LOAD_BATCH, size - loaded)
        tables = with_rare_names(factory.batch(loaded + 1, count), every)
        if backend == "sqlite":
            load_sqlite(url, tables)
        else:
            await load_postgresql(url, tables)
        loaded += count


async def run(context: BenchContext) -> list[Result]:
    size = context.size(1_000_000, 5_000)
    every = RARE_EVERY if size >= RARE_EVERY * 10 else size // 10
    repeat = 3 if context.quick else 15
    results: list[Result] = []
    for backend in available_backends(context):
        label = "SQLite" if backend == "sqlite" else "PostgreSQL"
        async with fresh_database(context, backend) as url:
            started = time.perf_counter()
            await load(url, backend, CaseFactory(seed=16), size, every)
            loading = time.perf_counter() - started
            engine = create_engine(url)
            cases = CaseQueries(create_session_factory(engine), "ASN")
            try:
                # The commonest name of the generator, whatever its shuffle made it.
                common = await _commonest_name(cases)
                rare_hits = len(await cases.find(RARE_NAME, limit=50))
                common_hits = len(await cases.find(common, limit=50))
                assert rare_hits == size // every, rare_hits
                assert common_hits == 50, common_hits
                queries: dict[str, tuple[str, str]] = {
                    f"rare name ({size // every} cases)": (RARE_NAME.lower(), "RI"),
                    "rare surname alone": ("pandjaitan", "RI"),
                    f"common name ({common})": (common.lower(), "RI"),
                    "one common word (budi)": ("budi", "RI"),
                    "common name, a regency's desk (32.04)": (common.lower(), "32.04"),
                    "rare name, a regency's desk": ("pandjaitan", "32.04"),
                    "common name, the largest province's desk (32)": (common.lower(), "32"),
                    "rare name, the largest province's desk": ("pandjaitan", "32"),
                    "common name, a small province's desk (94)": (common.lower(), "94"),
                }
                for name, (typed, scope) in queries.items():

                    async def find(
                        typed: str = typed, scope: str = scope, cases: CaseQueries = cases
                    ) -> None:
                        found = await cases.find(typed, scope=scope)
                        assert all(covers(scope, case.office_code) for case in found)

                    milliseconds = await median_ms(find, repeat)
                    results.append(
                        Result(
                            SECTION,
                            f"{label}, {size:,} cases: /find {name}",
                            milliseconds,
                            "ms",
                            f"≤ {TARGET_MS:.0f} ms",
                            None if context.quick else milliseconds <= TARGET_MS,
                        )
                    )
            finally:
                await engine.dispose()
        results.append(
            Result(SECTION, f"{label}: loading {size:,} cases with the search index", loading, "s")
        )
    return results


async def _commonest_name(cases: CaseQueries) -> str:
    from sqlalchemy import func
    from sqlmodel import select

    from storage.models import Case

    async with cases._sessions() as session:  # a benchmark's own look
        return (
            await session.exec(
                select(Case.asn_name)
                .where(Case.id <= 20_000)
                .group_by(Case.asn_name)
                .order_by(func.count().desc())
                .limit(1)
            )
        ).one()
