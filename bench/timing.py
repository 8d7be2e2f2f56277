"""The median time of an operation, as every section that times a query measures it."""

from __future__ import annotations

import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any


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
