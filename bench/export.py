"""/export at a million cases, on SQLite and PostgreSQL: peak resident memory of the whole
export (CSV and XLSX) in a process of its own (bench/export_child.py), how long it takes,
and the parts it is cut into, each of which must be a document Telegram accepts (50 MB).
The cases are bench/cases.py's, loaded as the growth section loads them."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from bench.cases import CaseFactory
from bench.context import BenchContext
from bench.databases import available_backends, fresh_database
from bench.report import Result
from bench.search import load

SECTION = "export"
PEAK_TARGET_MB = 100.0
TELEGRAM_DOCUMENT_LIMIT = 50 * 1000 * 1000  # bytes


async def _child(url: str, fmt: str) -> dict:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.export_child", url, fmt, stdout=asyncio.subprocess.PIPE
    )
    output, _ = await process.communicate()
    assert process.returncode == 0, f"export child failed ({process.returncode})"
    return json.loads(output)


async def run(context: BenchContext) -> list[Result]:
    size = context.size(1_000_000, 3_000)
    results: list[Result] = []
    for backend in available_backends(context):
        label = "SQLite" if backend == "sqlite" else "PostgreSQL"
        async with fresh_database(context, backend) as url:
            started = time.perf_counter()
            await load(url, backend, CaseFactory(seed=16), size, every=size)
            print(
                f"   {label}: {size:,} cases loaded in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )
            for fmt in ("csv", "xlsx"):
                measured = await _child(url, fmt)
                print(f"   {label} {fmt}: {measured}", file=sys.stderr, flush=True)
                results += _rows(label, size, fmt, measured, context)
    return results


def _rows(label: str, size: int, fmt: str, measured: dict, context: BenchContext) -> list[Result]:
    sizes: list[int] = measured["sizes"]
    rows: list[int] = measured["rows"]
    peak = measured["peak_mb"]
    growth = peak - measured["before_mb"]
    whole = f"{label}, {size:,} cases, /export {fmt.upper()}"
    fits = max(sizes) <= TELEGRAM_DOCUMENT_LIMIT
    counted = f"; {sum(rows):,} rows in all" if rows else ""
    return [
        Result(
            SECTION,
            f"{whole}: peak resident memory of the process",
            peak,
            "MB",
            f"≤ {PEAK_TARGET_MB:.0f} MB",
            None if context.quick else peak <= PEAK_TARGET_MB,
            note=f"{measured['before_mb']:.0f} MB before the export began, so {growth:.0f} MB "
            "for the export itself",
        ),
        Result(SECTION, f"{whole}: time", measured["seconds"], "s"),
        Result(
            SECTION,
            f"{whole}: parts, the largest",
            f"{len(sizes)} parts, {max(sizes) / 1e6:.1f} MB",
            "",
            "each ≤ 50 MB",
            None if context.quick else fits,
            note=f"{sum(sizes) / 1e6:.0f} MB in all{counted}",
        ),
    ]
