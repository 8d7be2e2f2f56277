"""The median time of an operation, as every section that times a query measures it."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bench.report import Result


async def median_ms(operation: Callable[[], Awaitable[Any]], repeat: int) -> float:
    """Milliseconds, median of `repeat` runs after one warm-up (caches, compiled
    statements, pages in memory)."""
    await operation()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        await operation()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def timing_rows(
    section: str,
    label: str,
    size: int,
    timings: dict[str, float],
    targets: dict[str, float],
    *,
    quick: bool,
) -> list[Result]:
    """One row per timed operation at `size` cases, judged against its target where
    `targets` names one (never in a quick run: its figures mean nothing)."""
    rows = []
    for name, milliseconds in timings.items():
        target = targets.get(name)
        rows.append(
            Result(
                section,
                f"{label}, {size:,} cases: {name}",
                milliseconds,
                "ms",
                f"≤ {target:.0f} ms" if target else "",
                (milliseconds <= target) if target and not quick else None,
            )
        )
    return rows
