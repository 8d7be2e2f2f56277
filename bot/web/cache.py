"""Figures kept for a minute in each process: counting a million cases takes longer than a
page may (bench/web.py), and figures a minute old are as true to the public as fresh ones.
Per process, so instances stay stateless; one computation per key at a time, so a burst of
requests after expiry waits for one query instead of running a hundred."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class TtlCache(Generic[T]):
    def __init__(
        self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic, size: int = 2048
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._size = size
        self._values: dict[Hashable, tuple[float, T]] = {}
        self._locks: dict[Hashable, asyncio.Lock] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        hit = self._fresh(key)
        if hit is not None:
            return hit[1]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            hit = self._fresh(key)  # computed while this request waited
            if hit is not None:
                return hit[1]
            value = await compute()
            if len(self._values) >= self._size:  # offices x languages: a bound, not a limit
                self._values.clear()
            self._values[key] = (self._clock(), value)
            return value

    def _fresh(self, key: Hashable) -> tuple[float, T] | None:
        hit = self._values.get(key)
        return hit if hit is not None and self._clock() - hit[0] < self._ttl else None
