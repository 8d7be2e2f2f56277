"""Delivering the outbox to Telegram within its limits: about 30 messages a second overall,
one a second per chat, and a pause whenever Telegram answers 429 (its limit is per bot).

Delivery is at least once: a row is marked sent right after Telegram accepts it, so only a
crash in between those two steps can repeat a message."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import InlineKeyboardMarkup

from bot.services import outbox
from storage.db import SessionFactory
from storage.models import Outbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RenderedMessage:
    text: str
    reply_markup: InlineKeyboardMarkup | None = None


class SharedSlots(Protocol):
    """Send slots kept for the whole deployment (storage/redis_state.RedisSendSlots)."""

    async def reserve(self, chat_id: int) -> float: ...

    async def pause(self, seconds: float) -> None: ...


class _Pacer:
    """Hands out send slots: at most `rate` a second overall, `per_chat` seconds apart per
    chat, none while paused by a 429. With `shared` slots the limits hold across instances."""

    def __init__(
        self,
        rate: float,
        per_chat: float,
        clock: Callable[[], float],
        shared: SharedSlots | None = None,
    ) -> None:
        self._shared = shared
        self._spacing = 1.0 / rate
        self._per_chat = per_chat
        self._clock = clock
        self._next_slot = 0.0
        self._paused_until = 0.0
        self._chat_next: dict[int, float] = {}
        self._lock = asyncio.Lock()

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        if self._shared is not None:
            await self._shared.pause(seconds)

    async def slot(self, chat_id: int) -> None:
        if self._shared is not None:
            await asyncio.sleep(await self._shared.reserve(chat_id))
        else:
            await self._local_slot(chat_id)
        # A 429 that arrived while this send waited pushes it back too.
        while (wait := self._paused_until - self._clock()) > 0:  # noqa: ASYNC110 (a deadline, not an event)
            await asyncio.sleep(wait)

    async def _local_slot(self, chat_id: int) -> None:
        async with self._lock:
            now = self._clock()
            at = max(now, self._next_slot, self._paused_until, self._chat_next.get(chat_id, 0.0))
            self._next_slot = at + self._spacing
            self._chat_next[chat_id] = at + self._per_chat
            if len(self._chat_next) > 50_000:  # forget chats whose gap has long passed
                self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        delay = at - self._clock()
        if delay > 0:
            await asyncio.sleep(delay)


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        session_factory: SessionFactory,
        render: Callable[[Outbox], RenderedMessage],
        *,
        global_rate: float = 30.0,
        per_chat_interval: float = 1.0,
        poll_interval: float = 0.5,
        max_backoff: float = 300.0,
        batch_size: int = 60,
        clock: Callable[[], float] = time.monotonic,
        shared_slots: SharedSlots | None = None,
    ) -> None:
        self._bot = bot
        self._sessions = session_factory
        self._render = render
        self._pacer = _Pacer(global_rate, per_chat_interval, clock, shared_slots)
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._batch_size = batch_size
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for work now (called after a commit that enqueued rows)."""
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                delivered = await self.deliver_due()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The database may be briefly unavailable; rows stay pending meanwhile.
                log.exception("outbox round failed")
                delivered = 0
            if delivered:
                continue
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll_interval)

    async def deliver_due(self) -> int:
        rows = await outbox.claim_due(self._sessions, limit=self._batch_size)
        # claim_due returns at most one row per chat, so chats proceed side by side.
        await asyncio.gather(*(self._deliver(row) for row in rows))
        return len(rows)

    async def _deliver(self, row: Outbox) -> None:
        assert row.id is not None
        try:
            message = self._render(row)
        except Exception as error:
            log.exception("notification could not be rendered", extra={"outbox": row.id})
            await outbox.mark_failed(self._sessions, row.id, error=f"render: {error}")
            return
        await self._pacer.slot(row.chat_id)
        try:
            sent = await self._bot.send_message(
                row.chat_id, message.text, reply_markup=message.reply_markup
            )
        except TelegramRetryAfter as error:
            await self._pacer.pause(error.retry_after)
            log.warning(
                "telegram flood limit", extra={"outbox": row.id, "retry_after": error.retry_after}
            )
            await outbox.mark_retry(
                self._sessions, row.id, error=error.message, delay_seconds=error.retry_after
            )
        except TelegramForbiddenError as error:
            log.info("reporter unreachable", extra={"outbox": row.id, "error": error.message})
            await outbox.mark_failed(self._sessions, row.id, error=error.message)
        except TelegramBadRequest as error:
            log.error("notification refused", extra={"outbox": row.id, "error": error.message})
            await outbox.mark_failed(self._sessions, row.id, error=error.message)
        except (TelegramServerError, TelegramNetworkError, TimeoutError, OSError) as error:
            delay = min(self._max_backoff, 2.0**row.attempts) + random.uniform(0, 0.25)
            log.warning(
                "notification will be retried",
                extra={"outbox": row.id, "attempt": row.attempts + 1, "error": str(error)},
            )
            await outbox.mark_retry(self._sessions, row.id, error=str(error), delay_seconds=delay)
        else:
            await outbox.mark_sent(self._sessions, row.id, sent.message_id)
