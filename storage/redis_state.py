"""Conversation state and shared limits in Redis, for deployments of several instances."""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisStorage
from redis.asyncio import Redis

from storage.fsm import ExpiredConversation

_ACTIVITY = "lapor:fsm:activity"


class TrackedRedisStorage(RedisStorage):
    """aiogram's Redis storage, plus a sorted set of when each conversation last moved, so
    idle ones can be closed with a message (a plain key TTL would drop them silently)."""

    def __init__(self, redis: Redis) -> None:
        super().__init__(redis, key_builder=DefaultKeyBuilder(with_destiny=True))

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        await super().set_state(key, state)
        await self._touch(key, active=state is not None)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await super().set_data(key, data)
        await self._touch(key, active=None)

    async def _touch(self, key: StorageKey, *, active: bool | None) -> None:
        member = f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.destiny}"
        if active is False:
            await self.redis.zrem(_ACTIVITY, member)
        elif active or await self.get_state(key) is not None:
            await self.redis.zadd(_ACTIVITY, {member: time.time()})

    async def expire_idle(self, idle_since: datetime) -> list[ExpiredConversation]:
        expired = []
        for raw in await self.redis.zrangebyscore(_ACTIVITY, 0, idle_since.timestamp()):
            member = raw.decode() if isinstance(raw, bytes) else raw
            # Whoever removes the member owns the expiry: one message even with many instances.
            if not await self.redis.zrem(_ACTIVITY, member):
                continue
            bot_id, chat_id, user_id, destiny = member.split(":", 3)
            key = StorageKey(int(bot_id), int(chat_id), int(user_id), destiny=destiny)
            await super().set_state(key, None)
            await super().set_data(key, {})
            expired.append(ExpiredConversation(int(chat_id), int(user_id)))
        return expired


class RedisRateLimiter:
    """A sliding-window limit shared by every instance."""

    def __init__(self, redis: Redis, limit: int, window_seconds: float) -> None:
        self._redis = redis
        self._limit = limit
        self._window = window_seconds

    async def allow(self, key: str) -> bool:
        now = time.time()
        redis_key = f"lapor:rate:{key}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zremrangebyscore(redis_key, 0, now - self._window)
            pipe.zcard(redis_key)
            _removed, count = await pipe.execute()
        if count >= self._limit:
            return False
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zadd(redis_key, {f"{now}:{id(pipe)}": now})
            pipe.expire(redis_key, int(self._window) + 1)
            await pipe.execute()
        return True


# Atomically hands out the next send slot for the whole deployment: the later of now, the
# global next slot and the chat's next slot; advances both. Returns the slot in ms.
_NEXT_SLOT = """
local now = tonumber(ARGV[1])
local spacing = tonumber(ARGV[2])
local per_chat = tonumber(ARGV[3])
local slot = math.max(now, tonumber(redis.call('GET', KEYS[1]) or 0),
                      tonumber(redis.call('GET', KEYS[2]) or 0),
                      tonumber(redis.call('GET', KEYS[3]) or 0))
redis.call('SET', KEYS[1], slot + spacing, 'PX', 60000)
redis.call('SET', KEYS[2], slot + per_chat, 'PX', per_chat + 60000)
return slot
"""


class RedisSendSlots:
    """Telegram's limits are per bot, so with several instances they must be kept together:
    the slots come from Redis instead of each process's memory."""

    def __init__(self, redis: Redis, rate: float, per_chat_seconds: float) -> None:
        self._redis = redis
        self._spacing_ms = 1000.0 / rate
        self._per_chat_ms = per_chat_seconds * 1000.0
        self._script = redis.register_script(_NEXT_SLOT)

    async def reserve(self, chat_id: int) -> float:
        """Seconds to wait before sending to `chat_id`."""
        now_ms = time.time() * 1000.0
        slot = await self._script(
            keys=["lapor:send:next", f"lapor:send:chat:{chat_id}", "lapor:send:paused"],
            args=[now_ms, self._spacing_ms, self._per_chat_ms],
        )
        return max(0.0, (float(slot) - now_ms) / 1000.0)

    async def pause(self, seconds: float) -> None:
        until = time.time() * 1000.0 + seconds * 1000.0
        await self._redis.set("lapor:send:paused", until, px=int(seconds * 1000) + 1000)
