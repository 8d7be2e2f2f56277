"""Figures kept for a while in each process: counting a million cases takes longer than a
page may (bench/RESULTS.md, "The public site"), and figures a minute old are as true to the
public as fresh ones. Per process, so instances stay stateless.

The first request for a key computes it (one at a time per key, so a burst waits for one
query instead of running a hundred); after that a value past its time is still served
while one task counts it again behind it (stale-while-revalidate), so no visitor waits
for the count once the site is warm. A time of 0 keeps nothing: every get computes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)


class TtlCache(Generic[T]):
    def __init__(
        self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic, size: int = 2048
    ) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._size = size
        self._values: dict[Hashable, tuple[float, T]] = {}
        self._locks: dict[Hashable, asyncio.Lock] = {}
        self._refreshing: dict[Hashable, asyncio.Task[None]] = {}

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> T:
        if self._ttl <= 0:
            return await compute()
        hit = self._values.get(key)
        if hit is not None:
            if self._clock() - hit[0] >= self._ttl and key not in self._refreshing:
                # The task copies this request's context (its language) with it.
                task = asyncio.create_task(self._refresh(key, compute))
                self._refreshing[key] = task
            return hit[1]
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            hit = self._values.get(key)  # computed while this request waited
            if hit is not None:
                return hit[1]
            value = await compute()
            self._store(key, value)
            return value

    async def _refresh(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> None:
        try:
            self._store(key, await compute())
        except Exception:
            # The old value stays, and the next request past its time tries again.
            log.exception("counting again failed; the figures served are older")
        finally:
            self._refreshing.pop(key, None)

    def _store(self, key: Hashable, value: T) -> None:
        if len(self._values) >= self._size and key not in self._values:
            self._values.clear()  # offices x languages x periods: a bound, not a limit
            self._locks.clear()
        self._values[key] = (self._clock(), value)

    async def close(self) -> None:
        """Stop the counts under way (the database is about to close)."""
        tasks = list(self._refreshing.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
