"""Growth: the staff's and reporters' queries with 10k, 100k and 1M cases stored, on SQLite
and PostgreSQL, timed through the services the handlers call (status look-up, /inbox,
/find, /stats, /export). The same database grows
from one size to the next. Each time is the median of several runs after a warm-up."""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from bench.cases import CaseFactory, load_postgresql, load_sqlite, open_statuses
from bench.context import BenchContext
from bench.databases import available_backends, fresh_database
from bench.report import Result
from bench.timing import median_ms, timing_rows
from bot.services.case_queries import CaseNotFound, CaseQueries
from bot.services.export import EXPORT_COLUMNS, LABELLED_COLUMNS, export_cases
from bot.services.lookup import status_by_code
from bot.services.statistics import case_statistics
from storage.db import SessionFactory, create_engine, create_session_factory

SECTION = "growth"
LOAD_BATCH = 50_000
TARGETS_AT_LARGEST = {
    "code look-up": 20.0,
    "/inbox first page": 20.0,
    "/stats": 500.0,
    # The jurisdiction issue: an office's desk at a million cases and 552 offices.
    "/inbox first page, a province's desk": 20.0,
    "/inbox first page, a regency's desk": 20.0,
    "/overdue, a regency's desk": 20.0,
    "code look-up by a province's officer": 20.0,
}


async def _measure(
    sessions: SessionFactory, factory: CaseFactory, size: int, quick: bool
) -> dict[str, float]:
    cases = CaseQueries(sessions, "ASN")
    chance = random.Random(size)
    repeat = 3 if quick else 15

    async def code_lookup() -> None:
        async with sessions() as session:
            assert await status_by_code(session, chance.choice(factory.codes), "ASN")

    async def inbox() -> None:
        await cases.inbox(statuses=open_statuses(), assignee_id=None, page=0)

    # An office's desk: the most populous province (Jawa Barat), and a regency in it.
    province, regency = "32", "32.04"

    def scoped_inbox(scope: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await cases.inbox(statuses=open_statuses(), assignee_id=None, page=0, scope=scope)

        return run

    def scoped_overdue(scope: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await cases.overdue(scope=scope)

        return run

    async def scoped_code_lookup() -> None:
        # A case of another office is refused, just as fast.
        with contextlib.suppress(CaseNotFound):
            await cases.case(chance.choice(factory.codes), scope=province)

    async def find_name() -> None:
        await cases.find("budi santoso")

    async def find_code() -> None:
        assert await cases.find(chance.choice(factory.codes).lower().replace("-", " "))

    async def stats() -> None:
        async with sessions() as session:
            await case_statistics(session, today=date.today())

    def export(fmt: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            async with sessions() as session:
                await export_cases(
                    session,
                    fmt=fmt,  # type: ignore[arg-type]
                    columns={key: key for key in EXPORT_COLUMNS},
                    # Keys shown as they are: what is measured is reading and writing.
                    labels={key: {} for key in LABELLED_COLUMNS},
                )

        return run

    timings = {
        "code look-up": await _measure_one(code_lookup, repeat),
        "/inbox first page": await _measure_one(inbox, repeat),
        "/inbox first page, a province's desk": await _measure_one(scoped_inbox(province), repeat),
        "/inbox first page, a regency's desk": await _measure_one(scoped_inbox(regency), repeat),
        "/overdue, a regency's desk": await _measure_one(scoped_overdue(regency), repeat),
        "code look-up by a province's officer": await _measure_one(scoped_code_lookup, repeat),
        "/find by name": await _measure_one(find_name, repeat),
        "/find by code": await _measure_one(find_code, repeat),
        "/stats": await _measure_one(stats, max(3, repeat // 3)),
        "/export CSV": await _measure_one(export("csv"), 1),
        "/export XLSX": await _measure_one(export("xlsx"), 1),
    }
    return timings


async def _measure_one(operation: Callable[[], Awaitable[Any]], repeat: int) -> float:
    return await median_ms(operation, repeat)


async def run(context: BenchContext) -> list[Result]:
    sizes = [500, 2_000] if context.quick else [10_000, 100_000, 1_000_000]
    results: list[Result] = []
    for backend in available_backends(context):
        label = "SQLite" if backend == "sqlite" else "PostgreSQL"
        factory = CaseFactory()
        loaded = 0
        load_seconds = 0.0
        async with fresh_database(context, backend) as url:
            engine = create_engine(url)
            sessions = create_session_factory(engine)
            try:
                for size in sizes:
                    started = time.perf_counter()
                    while loaded < size:
                        count = min(LOAD_BATCH, size - loaded)
                        tables = factory.batch(loaded + 1, count)
                        if backend == "sqlite":
                            load_sqlite(url, tables)
                        else:
                            await load_postgresql(url, tables)
                        loaded += count
                    load_seconds += time.perf_counter() - started
                    timings = await _measure(sessions, factory, size, context.quick)
                    results += timing_rows(
                        SECTION,
                        label,
                        size,
                        timings,
                        TARGETS_AT_LARGEST if size == sizes[-1] else {},
                        quick=context.quick,
                    )
            finally:
                await engine.dispose()
        results.append(
            Result(
                SECTION,
                f"{label}: generating and loading {loaded:,} cases",
                load_seconds,
                "s",
                note="with reporters, audit trail and evidence rows",
            )
        )
    return results
