"""Per-user rate limits (sliding window). In-process; a Redis-backed limiter with the same
interface shares limits across instances when REDIS_URL is set."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class RateLimiter(Protocol):
    async def allow(self, key: str) -> bool: ...


# /status in the bot and on the public site (bot/web): the same limit for both.
STATUS_LOOKUPS_PER_MINUTE = 10

_SWEEP_EVERY = 5_000


class MemoryRateLimiter:
    def __init__(
        self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._limit = limit
        self._window = window_seconds
        self._clock = clock
        # A list per user, oldest hit first. Not a deque: an empty deque already takes 760
        # bytes, a list of one hit about 110, and with tens of thousands of reporters these
        # are most of the limiter (bench/memory.py).
        self._hits: dict[str, list[float]] = {}
        self._calls_until_sweep = _SWEEP_EVERY

    async def allow(self, key: str) -> bool:
        now = self._clock()
        self._calls_until_sweep -= 1
        if self._calls_until_sweep <= 0:
            self._forget_idle(now)
        hits = self._hits.setdefault(key, [])
        expired = 0
        while expired < len(hits) and hits[expired] <= now - self._window:
            expired += 1
        del hits[:expired]
        if len(hits) >= self._limit:
            return False
        hits.append(now)
        return True

    def _forget_idle(self, now: float) -> None:
        """Drop users whose every hit is older than the window: they are as good as new.
        Every `_SWEEP_EVERY` calls, so memory follows the users active in one window."""
        self._calls_until_sweep = _SWEEP_EVERY
        self._hits = {k: v for k, v in self._hits.items() if v and v[-1] > now - self._window}
