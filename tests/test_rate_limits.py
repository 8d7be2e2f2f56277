"""The per-account limits (flood guard, /status look-ups, reports started) hold when one
account's updates arrive together, as the poller runs them side by side."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator

import pytest

from bot.services.ratelimit import MemoryRateLimiter, RateLimiter

LIMIT = 30


@pytest.fixture(params=["memory", "redis"])
async def limiter(request: pytest.FixtureRequest) -> AsyncIterator[RateLimiter]:
    if request.param == "memory":
        yield MemoryRateLimiter(LIMIT, 10)
        return
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("needs Redis (TEST_REDIS_URL)")
    from redis.asyncio import BlockingConnectionPool, Redis

    from storage.redis_state import RedisRateLimiter

    # As the bot connects: a burst waits for a free connection.
    redis = Redis(connection_pool=BlockingConnectionPool.from_url(url, max_connections=100))
    # Keys of their own: other tests may be using Redis at the same time.
    yield RedisRateLimiter(redis, LIMIT, 10, prefix=f"test:rate:{uuid.uuid4().hex[:8]}")
    await redis.aclose()


async def test_a_burst_from_one_account_gets_exactly_the_limit(limiter: RateLimiter) -> None:
    answers = await asyncio.gather(*(limiter.allow("updates:1") for _ in range(200)))
    assert answers.count(True) == LIMIT
    assert await limiter.allow("updates:2"), "another account is not held back"
    assert not await limiter.allow("updates:1")


async def test_the_window_slides() -> None:
    now = [0.0]
    limiter = MemoryRateLimiter(2, 10, clock=lambda: now[0])
    assert [await limiter.allow("a") for _ in range(3)] == [True, True, False]
    now[0] = 9.9
    assert not await limiter.allow("a")
    now[0] = 10.1
    assert await limiter.allow("a")
