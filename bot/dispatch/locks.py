"""Per-user locks for the single-process default (with Redis, aiogram's RedisEventIsolation
does this across instances)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager

from aiogram.fsm.storage.base import BaseEventIsolation, StorageKey


class PerUserLocks(BaseEventIsolation):
    """One user's updates handled one at a time, in arrival order (aiogram's
    SimpleEventIsolation), but a user's lock is dropped once nobody holds or awaits it:
    aiogram keeps every user's lock forever, which with tens of thousands of reporters was
    a steady leak (bench/memory.py)."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def close(self) -> None:
        self._locks.clear()
