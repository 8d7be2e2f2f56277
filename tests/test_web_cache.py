"""The site's figure cache (bot/web/cache.py): a visitor never waits for a count once the
site is warm, and figures are at most one time-to-live behind."""

from __future__ import annotations

import asyncio

from bot.web.cache import TtlCache


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self) -> int:
        self.calls += 1
        await asyncio.sleep(0)
        return self.calls


async def test_kept_for_its_time_then_served_while_counted_again() -> None:
    now = [0.0]
    cache: TtlCache[int] = TtlCache(60, clock=lambda: now[0])
    count = Counting()
    assert await cache.get("RI", count) == 1
    now[0] = 59
    assert await cache.get("RI", count) == 1 and count.calls == 1
    now[0] = 61
    assert await cache.get("RI", count) == 1  # the old figures, at once
    await asyncio.sleep(0.01)  # the count behind it finishes
    assert count.calls == 2
    assert await cache.get("RI", count) == 2
    await cache.close()


async def test_a_burst_on_a_cold_key_counts_once() -> None:
    cache: TtlCache[int] = TtlCache(60)
    count = Counting()
    assert await asyncio.gather(*(cache.get("RI", count) for _ in range(20))) == [1] * 20
    assert count.calls == 1


async def test_a_failed_recount_keeps_the_old_figures() -> None:
    now = [0.0]
    cache: TtlCache[int] = TtlCache(60, clock=lambda: now[0])

    async def broken() -> int:
        raise ConnectionError("database gone")

    assert await cache.get("RI", Counting()) == 1
    now[0] = 61
    assert await cache.get("RI", broken) == 1
    await asyncio.sleep(0.01)
    assert await cache.get("RI", Counting()) == 1  # still served; a new recount under way
    await cache.close()


async def test_no_time_keeps_nothing() -> None:
    cache: TtlCache[int] = TtlCache(0)
    count = Counting()
    assert [await cache.get("RI", count) for _ in range(3)] == [1, 2, 3]
