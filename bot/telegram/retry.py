"""Bot API calls that fail for a reason that passes (429 with a short wait, 5xx, a dropped
connection) are tried again a few times before the caller sees the error, so a reporter's
answer is not lost to one bad second at Telegram.

Not for getUpdates (the poller has its own backoff) nor for the outbox sender, which paces
itself and must see every 429 to pause all sending: it runs inside `without_retries()`.
A call retried after a dropped connection may have reached Telegram the first time: a
rare duplicate reply is the price of not losing one."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import (
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

log = logging.getLogger(__name__)

_retries_off: ContextVar[bool] = ContextVar("bot_api_retries_off", default=False)


@contextlib.contextmanager
def without_retries() -> Iterator[None]:
    """Calls made in this context, and in tasks created from it, fail at the first error."""
    token = _retries_off.set(True)
    try:
        yield
    finally:
        _retries_off.reset(token)


class TransientErrorRetry(BaseRequestMiddleware):
    def __init__(
        self, attempts: int = 3, longest_wait: float = 10.0, first_delay: float = 0.5
    ) -> None:
        self._attempts = attempts
        self._longest_wait = longest_wait
        self._first_delay = first_delay

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if _retries_off.get() or method.__api_method__ == "getUpdates":
            return await make_request(bot, method)
        attempt = 1
        while True:
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as error:
                if attempt >= self._attempts or error.retry_after > self._longest_wait:
                    raise
                wait = float(error.retry_after)
                reason = "flood_limit"
            except (TelegramServerError, TelegramNetworkError) as error:
                # Too large is a network error to aiogram, but no retry will make it fit.
                if attempt >= self._attempts or isinstance(error, TelegramEntityTooLarge):
                    raise
                wait = self._first_delay * 2 ** (attempt - 1)
                reason = "server_error" if isinstance(error, TelegramServerError) else "network"
            log.warning(
                "bot api call retried",
                extra={
                    "method": method.__api_method__,
                    "attempt": attempt,
                    "reason": reason,
                    "wait": wait,
                },
            )
            await asyncio.sleep(wait)
            attempt += 1
