"""The public site (`python -m bot web`) with 100k and 1M cases stored, on SQLite and
PostgreSQL, timed over HTTP as a visitor's browser asks: the dashboard with its figures
cached (what nearly every visitor gets), the same page when the cache has just expired
(the figures counted again), and the open data API's first page and one case. Each time
is the median of several requests after a warm-up."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

import aiohttp

from bench.cases import CaseFactory, load_postgresql, load_sqlite
from bench.context import BenchContext
from bench.databases import available_backends, fresh_database
from bench.report import Result
from bench.timing import median_ms, timing_rows
from bot.config import Settings
from tests.helpers.web import running_site

SECTION = "web"
LOAD_BATCH = 50_000
TARGETS_AT_LARGEST = {"/ (figures cached)": 50.0}


async def _measure(
    database_url: str, factory: CaseFactory, size: int, quick: bool
) -> dict[str, float]:
    repeat = 3 if quick else 15
    chance = random.Random(size)
    timings: dict[str, float] = {}
    cached = Settings(database_url=database_url, _env_file=None)
    uncached = Settings(database_url=database_url, web_cache_seconds=0, _env_file=None)
    async with aiohttp.ClientSession() as http:

        def get(base: str, path: Callable[[], str]) -> Callable[[], Awaitable[None]]:
            async def run() -> None:
                async with http.get(base + path()) as response:
                    assert response.status in (200, 404), response.status
                    await response.read()

            return run

        async with running_site(cached) as base:
            timings["/ (figures cached)"] = await median_ms(get(base, lambda: "/"), repeat)
            timings["/?office=32 (figures cached)"] = await median_ms(
                get(base, lambda: "/?office=32"), repeat
            )
            timings["requests.json first page"] = await median_ms(
                get(base, lambda: "/open311/v2/requests.json"), repeat
            )
            timings["requests/{code}.json"] = await median_ms(
                get(base, lambda: f"/open311/v2/requests/{chance.choice(factory.codes)}.json"),
                repeat,
            )
        async with running_site(uncached) as base:
            timings["/ (figures counted: cache expired)"] = await median_ms(
                get(base, lambda: "/"), max(3, repeat // 3)
            )
    return timings


async def run(context: BenchContext) -> list[Result]:
    sizes = [500, 2_000] if context.quick else [100_000, 1_000_000]
    results: list[Result] = []
    for backend in available_backends(context):
        label = "SQLite" if backend == "sqlite" else "PostgreSQL"
        factory = CaseFactory()
        loaded = 0
        async with fresh_database(context, backend) as url:
            for size in sizes:
                while loaded < size:
                    count = min(LOAD_BATCH, size - loaded)
                    tables = factory.batch(loaded + 1, count)
                    if backend == "sqlite":
                        load_sqlite(url, tables)
                    else:
                        await load_postgresql(url, tables)
                    loaded += count
                timings = await _measure(url, factory, size, context.quick)
                results += timing_rows(
                    SECTION,
                    label,
                    size,
                    timings,
                    TARGETS_AT_LARGEST if size == sizes[-1] else {},
                    quick=context.quick,
                )
    return results
