"""What a failed send means for its outbox row: each kind of error, the policy for it, and
the backoff between retries. Pure functions, tested directly."""

from __future__ import annotations

import random
from typing import Literal

import aiohttp
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

Outcome = Literal["flood", "retry", "fail"]


def classify(error: BaseException) -> tuple[Outcome, str]:
    """What a send error means for its row, and a short reason for the log."""
    if isinstance(error, TelegramRetryAfter):
        return "flood", "flood_limit"
    if isinstance(error, TelegramForbiddenError):
        return "fail", "unreachable"  # blocked by the user, or the account is gone
    if isinstance(error, TelegramMigrateToChat):
        return "fail", "chat_migrated"
    # Subclasses of the network error, but retrying cannot make a message fit.
    if isinstance(error, TelegramEntityTooLarge):
        return "fail", "too_large"
    if isinstance(error, TelegramBadRequest):
        return "fail", "bad_request"
    if isinstance(error, TelegramServerError):
        return "retry", "server_error"
    if isinstance(error, TelegramNetworkError | aiohttp.ClientError | TimeoutError | OSError):
        return "retry", "network_error"
    if isinstance(error, ClientDecodeError):
        return "retry", "bad_response"  # a proxy's HTML error page, say
    # 401, 404, 409 and the like: the bot's configuration, not the message, is wrong; the row
    # waits for it to be put right instead of being lost.
    if isinstance(error, TelegramAPIError):
        return "retry", "api_error"
    return "retry", "unexpected"


def backoff_delay(attempts: int, cap: float) -> float:
    """1, 2, 4 … seconds after the 1st, 2nd, 3rd … failure, at most `cap`, plus up to 10%
    so rows that failed together (an outage) do not all come back in the same instant."""
    base = min(cap, 2.0 ** min(attempts, 32))
    return base + random.uniform(0.0, base * 0.1)
