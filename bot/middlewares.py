"""Per-update plumbing: a database session that is committed in one place."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject

from storage.db import SessionFactory


class DbSessionMiddleware(BaseMiddleware):
    """One session per update for handlers' reads and small writes, committed when the
    handler returns and rolled back if it raises. Multi-row writes that must be atomic
    (a submission) use their own transaction in the service."""

    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        async with self._sessions() as session:
            data["session"] = session
            result = await handler(event, data)
            await session.commit()
            return result
