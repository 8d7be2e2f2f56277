"""Conversation state and shared limits in Redis, for deployments of several instances."""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Literal

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey
from aiogram.fsm.storage.redis import DefaultKeyBuilder, RedisEventIsolation, RedisStorage
from redis.asyncio import Redis

from storage.conversations import ExpiredConversation
from storage.send_limits import CATCH_UP, GROUP_INTERVAL, LIMIT_MARGIN, SEND_HOLD

_ACTIVITY = "lapor:fsm:activity"
_MISSING = object()


class _HeldConversation:
    """The conversation whose user's lock this update holds, as read or written so far in
    this update: while the lock is held no other update (on any instance) can change it,
    so it is read from Redis once per update instead of at every filter and handler."""

    def __init__(self, key: StorageKey) -> None:
        self.key = key
        self.locked = True  # a task started in the update outlives it: then it reads Redis
        self.state: Any = _MISSING
        self.data: Any = _MISSING  # the JSON text, so every reader parses its own copy


_held: ContextVar[_HeldConversation | None] = ContextVar("held_conversation", default=None)


class ConversationLocks(RedisEventIsolation):
    """aiogram's per-user Redis lock, which also marks its holder's conversation as
    readable from memory for the rest of the update (_HeldConversation). Measured: a report
    step read its state and data from Redis four to six times (bench/RESULTS.md)."""

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        async with super().lock(key):
            held = _HeldConversation(key)
            token = _held.set(held)
            try:
                yield None
            finally:
                held.locked = False
                _held.reset(token)


def _held_for(key: StorageKey) -> _HeldConversation | None:
    held = _held.get()
    return held if held is not None and held.locked and held.key == key else None


class TrackedRedisStorage(RedisStorage):
    """aiogram's Redis storage, plus a sorted set of when each conversation last moved, so
    idle ones can be closed with a message (a plain key TTL would drop them silently).

    Within an update that holds its user's lock (ConversationLocks) the conversation is
    read once, and moving to the next step (set_state_and_data) is one round trip."""

    def __init__(self, redis: Redis) -> None:
        super().__init__(redis, key_builder=DefaultKeyBuilder(with_destiny=True))

    async def get_state(self, key: StorageKey) -> str | None:
        held = _held_for(key)
        if held is None:
            return await super().get_state(key)
        if held.state is _MISSING:
            await self._read_held(held)
        state: str | None = held.state
        return state

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        held = _held_for(key)
        if held is None:
            return await super().get_data(key)
        if held.data is _MISSING:
            await self._read_held(held)
        data: dict[str, Any] = self.json_loads(held.data) if held.data is not None else {}
        return data

    async def _read_held(self, held: _HeldConversation) -> None:
        """State and data in one round trip: a step reads both, and the first read of
        either would otherwise be followed by a second for the other."""
        state, data = await self.redis.mget(
            self.key_builder.build(held.key, "state"), self.key_builder.build(held.key, "data")
        )
        held.state = state.decode("utf-8") if isinstance(state, bytes) else state
        held.data = data.decode("utf-8") if isinstance(data, bytes) else data

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        self._forget(key)
        await super().set_state(key, state)
        await self._touch(key, active=state is not None)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        self._forget(key)
        await super().set_data(key, data)
        await self._touch(key, active=None)

    async def set_state_and_data(
        self, key: StorageKey, state: str | State | None, data: Mapping[str, Any]
    ) -> None:
        """Both, and the activity mark, in one MULTI/EXEC: one round trip instead of four."""
        value = state.state if isinstance(state, State) else state
        text = self.json_dumps(dict(data)) if data else None
        self._forget(key)
        state_key = self.key_builder.build(key, "state")
        data_key = self.key_builder.build(key, "data")
        async with self.redis.pipeline(transaction=True) as pipe:
            if value is None:
                pipe.delete(state_key)
            else:
                pipe.set(state_key, value, ex=self.state_ttl)
            if text is None:
                pipe.delete(data_key)
            else:
                pipe.set(data_key, text, ex=self.data_ttl)
            member = self._member(key)
            if value is None:
                pipe.zrem(_ACTIVITY, member)
            else:
                pipe.zadd(_ACTIVITY, {member: time.time()})
            await pipe.execute()
        if (held := _held_for(key)) is not None:
            held.state, held.data = value, text

    def _forget(self, key: StorageKey) -> None:
        """Before a write: if it fails, whether it was applied is unknown, so read afresh."""
        if (held := _held_for(key)) is not None:
            held.state = held.data = _MISSING

    @staticmethod
    def _member(key: StorageKey) -> str:
        return f"{key.bot_id}:{key.chat_id}:{key.user_id}:{key.destiny}"

    async def _touch(self, key: StorageKey, *, active: bool | None) -> None:
        member = self._member(key)
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
            submitted = (await super().get_data(key)).get("submission_code")
            await super().set_state(key, None)
            await super().set_data(key, {})
            expired.append(ExpiredConversation(int(chat_id), int(user_id), submitted))
        return expired

    async def forget_holding(self, chat_id: int, value: str) -> int:
        """Delete the chat's conversations whose data holds `value` (retention: the code of
        a case whose reporter is being erased must not stay beside the chat that filed it,
        as the database's conversations do not); returns how many were deleted. Walks the
        chat's keys with SCAN: a daily maintenance task's cost, not an update's."""
        builder = self.key_builder
        assert isinstance(builder, DefaultKeyBuilder)  # set in __init__
        separator = builder.separator
        pattern = separator.join((builder.prefix, str(chat_id), "*", "data"))
        forgotten = 0
        async for raw in self.redis.scan_iter(match=pattern):
            data_key = raw.decode() if isinstance(raw, bytes) else raw
            text = await self.redis.get(data_key)
            if text is None or value not in self.json_loads(text).values():
                continue
            # <prefix>:<chat>[:<thread>]:<user>:<destiny>:data; the activity member is
            # "<bot>:<chat>:<user>:<destiny>" and this process does not know the bot's id.
            *_start, user_id, destiny, _data = data_key.split(separator)
            state_key = data_key.removesuffix("data") + "state"
            await self.redis.delete(data_key, state_key)
            member_end = f":{chat_id}:{user_id}:{destiny}"
            async for member, _score in self.redis.zscan_iter(_ACTIVITY, match=f"*{member_end}"):
                await self.redis.zrem(_ACTIVITY, member)
            forgotten += 1
        return forgotten


# A sliding window kept as a sorted set of hits, checked and recorded in one step: checked
# and recorded apart, an account's concurrent updates (the poller runs them side by side)
# all read the same count and all got through. On Redis's clock, as the send slots are.
# KEYS: the account's hits. ARGV: limit, window in ms, a member unique to this hit.
_ALLOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local limit, window = tonumber(ARGV[1]), tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], math.ceil(window))
return 1
"""


class RedisRateLimiter:
    """A sliding-window limit shared by every instance."""

    def __init__(
        self, redis: Redis, limit: int, window_seconds: float, prefix: str = "lapor:rate"
    ) -> None:
        self._limit = limit
        self._window_ms = window_seconds * 1000
        self._prefix = prefix
        self._allow = redis.register_script(_ALLOW)

    async def allow(self, key: str) -> bool:
        hit = secrets.token_hex(8)
        keys = [f"{self._prefix}:{key}"]
        return bool(await self._allow(keys=keys, args=[self._limit, self._window_ms, hit]))


# The rules of bot/delivery.LocalSlots, kept in Redis for every instance at once, on Redis's
# clock (TIME) so the instances' clocks need not agree. Times in ms.
# KEYS: window (sorted set: token -> when its send was answered, or will be at the latest),
# schedule, paused, the chat's key. Returns {0, "0"} granted, {1, wait} wait, {2, wait} chat
# busy (waits as strings: Lua numbers would be truncated to integers).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local limit, window, spacing = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local gap, hold, catch_up = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local paused = tonumber(redis.call('GET', KEYS[3]) or '-1')
if paused > now then return {1, tostring(paused - now)} end
local free = tonumber(redis.call('GET', KEYS[4]) or '-1')
if free > now then return {2, tostring(free - now)} end
local schedule = tonumber(redis.call('GET', KEYS[2]) or '-1')
if schedule > now then return {1, tostring(schedule - now)} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
if redis.call('ZCARD', KEYS[1]) >= limit then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {1, tostring(tonumber(oldest[2]) + window - now)}
end
redis.call('ZADD', KEYS[1], now + hold, ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.ceil(hold + window))
if now - schedule > catch_up then schedule = now end
redis.call('SET', KEYS[2], tostring(schedule + spacing), 'PX', 60000)
redis.call('SET', KEYS[4], tostring(now + hold + gap), 'PX', math.ceil(hold + gap))
return {0, '0'}
"""
# KEYS: window, the chat's key. ARGV: token, window, gap.
_SETTLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local window, gap = tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.max(redis.call('PTTL', KEYS[1]), math.ceil(window)))
redis.call('SET', KEYS[2], tostring(now + gap), 'PX', math.ceil(gap))
return 0
"""
# KEYS: paused. ARGV: seconds in ms. Only ever lengthens a pause.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local until_ = now + tonumber(ARGV[1])
if until_ > tonumber(redis.call('GET', KEYS[1]) or '-1') then
  redis.call('SET', KEYS[1], tostring(until_), 'PX', math.ceil(tonumber(ARGV[1])))
end
return 0
"""
_OUTCOMES: dict[int, Literal["granted", "wait", "chat_busy"]] = {
    0: "granted",
    1: "wait",
    2: "chat_busy",
}


class RedisSendSlots:
    """Telegram's limits are per bot, so with several instances they must be kept together:
    the slots (bot/delivery.LocalSlots explains them) come from Redis instead of each
    process's memory."""

    def __init__(
        self,
        redis: Redis,
        rate: float,
        per_chat_seconds: float,
        *,
        window_seconds: float = 1.0,
        per_group_seconds: float = GROUP_INTERVAL,
        hold_seconds: float = SEND_HOLD,
        prefix: str = "lapor:send",
    ) -> None:
        if rate <= 0 or per_chat_seconds < 0 or window_seconds <= 0:
            raise ValueError("rate and window must be positive and per_chat not negative")
        self._redis = redis
        self._prefix = prefix
        self._limit = max(1, math.floor(rate + 1e-9))
        self._window_ms = (window_seconds + LIMIT_MARGIN) * 1000.0
        self._spacing_ms = window_seconds / rate * 1000.0
        self._per_chat_ms = (per_chat_seconds + LIMIT_MARGIN) * 1000.0
        self._per_group_ms = (max(per_chat_seconds, per_group_seconds) + LIMIT_MARGIN) * 1000.0
        self._hold_ms = hold_seconds * 1000.0
        self._take = redis.register_script(_TAKE)
        self._settle = redis.register_script(_SETTLE)
        self._pause = redis.register_script(_PAUSE)

    def _gap_ms(self, chat_id: int) -> float:
        return self._per_group_ms if chat_id < 0 else self._per_chat_ms

    async def take(
        self, token: str, chat_id: int
    ) -> tuple[Literal["granted", "wait", "chat_busy"], float]:
        p = self._prefix
        code, wait = await self._take(
            keys=[f"{p}:window", f"{p}:schedule", f"{p}:paused", f"{p}:chat:{chat_id}"],
            args=[
                token,
                self._limit,
                self._window_ms,
                self._spacing_ms,
                self._gap_ms(chat_id),
                self._hold_ms,
                CATCH_UP * 1000.0,
            ],
        )
        return _OUTCOMES[int(code)], max(0.0, float(wait) / 1000.0)

    async def settle(self, token: str, chat_id: int) -> None:
        p = self._prefix
        await self._settle(
            keys=[f"{p}:window", f"{p}:chat:{chat_id}"],
            args=[token, self._window_ms, self._gap_ms(chat_id)],
        )

    async def pause(self, seconds: float) -> None:
        await self._pause(keys=[f"{self._prefix}:paused"], args=[seconds * 1000.0])
