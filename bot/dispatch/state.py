"""Where conversations, per-user locks, rate limits and send slots are kept: in this
process (the single-machine default) or in Redis (several instances)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiogram.fsm.storage.base import BaseEventIsolation
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.dispatch.locks import PerUserLocks
from bot.outbound.pacing import SharedSlots
from bot.services.ratelimit import STATUS_LOOKUPS_PER_MINUTE, MemoryRateLimiter, RateLimiter
from storage.conversations import SqlStorage
from storage.db import is_sqlite
from storage.sqlite_writer import SqliteWriter

if TYPE_CHECKING:
    # redis-py is imported only when REDIS_URL is set (see redis_backends).
    from redis.asyncio import Redis

    from storage.redis_state import TrackedRedisStorage

REPORTS_STARTED_PER_HOUR = 6
REDIS_CONNECTIONS = 100
# A per-user lock held by an instance that died is freed after this long; it must outlast
# the slowest update (a 20 MB evidence download and its processing).
USER_LOCK_LEASE_SECONDS = 30


@dataclass
class StateBackends:
    fsm_storage: SqlStorage | TrackedRedisStorage
    isolation: BaseEventIsolation
    status_limiter: RateLimiter
    report_limiter: RateLimiter
    update_limiter: RateLimiter
    shared_slots: SharedSlots | None


def local_backends(
    settings: Settings, engine: AsyncEngine, writer: SqliteWriter | None = None
) -> StateBackends:
    return StateBackends(
        # One process owns SQLite conversations, so it may keep them in memory as well.
        fsm_storage=SqlStorage(engine, cache=is_sqlite(settings.database_url), writer=writer),
        isolation=PerUserLocks(),
        status_limiter=MemoryRateLimiter(STATUS_LOOKUPS_PER_MINUTE, 60),
        report_limiter=MemoryRateLimiter(REPORTS_STARTED_PER_HOUR, 3600),
        update_limiter=MemoryRateLimiter(settings.flood_updates, settings.flood_window_seconds),
        shared_slots=None,
    )


def redis_backends(settings: Settings, redis_url: str) -> tuple[Redis, StateBackends]:
    """Several instances: one user's updates are serialised across all of them, and the
    limits are kept together. redis-py is imported here, not at the top: it adds about 6 MB
    to every process, and the single-process default never uses it (bench/RESULTS.md)."""
    from redis.asyncio import BlockingConnectionPool, Redis

    from storage.redis_state import (
        ConversationLocks,
        RedisRateLimiter,
        RedisSendSlots,
        TrackedRedisStorage,
    )

    # A burst waits for a free connection instead of failing with "Too many connections".
    redis = Redis(
        connection_pool=BlockingConnectionPool.from_url(
            redis_url, max_connections=REDIS_CONNECTIONS, timeout=10
        )
    )
    return redis, StateBackends(
        fsm_storage=TrackedRedisStorage(redis),
        isolation=ConversationLocks(redis, lock_kwargs={"timeout": USER_LOCK_LEASE_SECONDS}),
        status_limiter=RedisRateLimiter(redis, STATUS_LOOKUPS_PER_MINUTE, 60),
        report_limiter=RedisRateLimiter(redis, REPORTS_STARTED_PER_HOUR, 3600),
        update_limiter=RedisRateLimiter(
            redis, settings.flood_updates, settings.flood_window_seconds
        ),
        shared_slots=RedisSendSlots(redis, rate=30, per_chat_seconds=1),
    )
