"""Delivering the outbox to Telegram within its limits: about 30 messages a second overall,
one a second per chat, and a pause of all sending whenever Telegram answers 429 (its flood
limit is per bot, not per chat).

Delivery is at least once; a message goes out twice only in two narrow cases. A row is
claimed with a lease and marked sent right after Telegram accepts it, so it is repeated when
the process dies (or loses its database for longer than a few retries) between Telegram's
answer and the commit of `mark_sent`: the lease then runs out and another sender sends it
again. And a request that times out is retried, though Telegram may have accepted it.
Stopping the sender by cancelling it opens no such window: a send under way is finished and
recorded first, and rows still waiting for a slot are handed back unsent."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import aiohttp
from aiogram import Bot
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
from aiogram.types import InlineKeyboardMarkup

from bot.services import outbox
from storage.db import SessionFactory
from storage.models import Outbox

log = logging.getLogger(__name__)

# Kept between the end of a send's timeout and the end of its row's lease: room for clock
# drift between instances and for writing the outcome before another sender may take the row.
LEASE_MARGIN = 5.0
# Writing an outcome is retried briefly: a "sent" lost to a database hiccup means a repeat.
_RECORD_DELAYS = (0.2, 1.0, 3.0)
# Added to every gap: thirty float additions of 1/30 fall just short of 1.0, which would let
# a 31st message into the same second.
_EPSILON = 1e-6


@dataclass(frozen=True)
class RenderedMessage:
    text: str
    reply_markup: InlineKeyboardMarkup | None = None


class SharedSlots(Protocol):
    """Send slots kept for the whole deployment (storage/redis_state.RedisSendSlots)."""

    async def reserve(self, chat_id: int) -> float: ...

    async def pause(self, seconds: float) -> None: ...


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


class Pacer:
    """Hands out send slots: at most `rate` a second overall (slots `1/rate` apart), a chat
    at most once every `per_chat` seconds, none while paused by a 429. With `shared` slots
    the limits hold across instances."""

    def __init__(
        self,
        rate: float,
        per_chat: float,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedSlots | None = None,
    ) -> None:
        if rate <= 0 or per_chat < 0:
            raise ValueError("rate must be positive and per_chat not negative")
        self._shared = shared
        self._spacing = 1.0 / rate + _EPSILON
        self._per_chat = per_chat + _EPSILON
        self._clock = clock
        self._next_slot = -math.inf
        self._paused_until = -math.inf
        self._chat_next: dict[int, float] = {}

    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        if self._shared is not None:
            await self._shared.pause(seconds)

    def reserve(self, chat_id: int) -> float:
        """The clock time of the next free slot for `chat_id`, now taken."""
        now = self._clock()
        at = max(now, self._next_slot, self._paused_until, self._chat_next.get(chat_id, now))
        self._next_slot = at + self._spacing
        self._chat_next[chat_id] = at + self._per_chat
        if len(self._chat_next) > 10_000:  # forget chats whose gap has passed
            self._chat_next = {c: t for c, t in self._chat_next.items() if t > now}
        return at

    async def slot(self, chat_id: int) -> None:
        """Wait for a slot to send to `chat_id`."""
        while True:
            previous = self._chat_next.get(chat_id)
            if self._shared is not None:
                at = self._clock() + await self._shared.reserve(chat_id)
            else:
                at = self.reserve(chat_id)
            await asyncio.sleep(max(0.0, at - self._clock()))
            now = self._clock()
            if self._paused_until <= now:
                if self._shared is None:
                    # From the actual start, so a late wake-up cannot shorten the chat's gap.
                    gap_end = now + self._per_chat
                    self._chat_next[chat_id] = max(self._chat_next.get(chat_id, now), gap_end)
                return
            # A 429 came while this send waited. Sending at the end of the pause together
            # with every other waiter would be a burst, so it queues again for a fresh slot
            # (reserve() puts it after the pause), giving back the chat's unused gap.
            if self._shared is None:
                if previous is None:
                    self._chat_next.pop(chat_id, None)
                else:
                    self._chat_next[chat_id] = previous


class OutboxSender:
    """Sends the outbox: different chats side by side as the limits allow, one chat's rows
    strictly one after another in id order (claim_due offers a chat's next row only once the
    previous one is settled)."""

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
        lease_seconds: float = 60.0,
        send_timeout: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
        shared_slots: SharedSlots | None = None,
    ) -> None:
        if lease_seconds < send_timeout + 2 * LEASE_MARGIN:
            raise ValueError("lease_seconds must leave room for a send and its margin")
        self._bot = bot
        self._sessions = session_factory
        self._render = render
        self._clock = clock
        self._pacer = Pacer(global_rate, per_chat_interval, clock, shared_slots)
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._batch_size = batch_size
        self._lease = lease_seconds
        self._send_timeout = send_timeout
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for work now (call after a commit that enqueued rows; same event loop)."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled. Rows are claimed as capacity frees up rather than in
        rounds, so one slow request holds back only its own chat."""
        tasks: set[asyncio.Task[None]] = set()

        def finished(task: asyncio.Task[None]) -> None:
            tasks.discard(task)
            if not task.cancelled() and task.exception() is not None:
                log.error("outbox delivery crashed", exc_info=task.exception())
            self._wake.set()  # the chat's next row may be due now

        try:
            while True:
                if (paused := self._pacer.paused_for()) > 0:
                    # Rows claimed now would only sit out the flood pause holding leases.
                    await asyncio.sleep(paused)
                    continue
                self._wake.clear()
                room = self._batch_size - len(tasks)
                if room > 0:
                    try:
                        rows, deadline = await self._claim(room)
                    except Exception:
                        # The database may be briefly unavailable; rows stay pending meanwhile.
                        log.exception("outbox claim failed")
                        rows = []
                    for row in rows:
                        task = asyncio.create_task(self._deliver(row, deadline))
                        tasks.add(task)
                        task.add_done_callback(finished)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._poll_interval)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def deliver_due(self) -> int:
        """Claim the rows due now (at most one per chat) and deliver them; return how many
        were claimed."""
        rows, deadline = await self._claim(self._batch_size)
        results = await asyncio.gather(
            *(self._deliver(row, deadline) for row in rows), return_exceptions=True
        )
        for result in results:
            if isinstance(result, BaseException):
                log.error("outbox delivery crashed", exc_info=result)
        return len(rows)

    async def _claim(self, limit: int) -> tuple[list[Outbox], float]:
        # Read before claiming, so the local deadline is never later than the stored lease.
        deadline = self._clock() + self._lease
        rows = await outbox.claim_due(self._sessions, limit=limit, lease_seconds=self._lease)
        return rows, deadline

    async def _deliver(self, row: Outbox, lease_deadline: float) -> None:
        assert row.id is not None
        try:
            message = self._render(row)
        except Exception as error:
            extra = {"outbox_id": row.id, "kind": row.kind, "outcome": "failed"}
            log.exception("outbox delivery failed", extra=extra | {"reason": "render_error"})
            await self._record(outbox.mark_failed, row, error=f"render: {error!r}")
            return
        try:
            await self._pacer.slot(row.chat_id)
        except asyncio.CancelledError:
            await self._hand_back(row)  # stopping: the next sender need not wait out the lease
            raise
        except Exception:
            # Shared slots unreachable. Keeping the claim until its lease ends spaces out the
            # next try; handing it back would be claimed again at once, in a tight loop.
            log.exception("no send slot", extra={"outbox_id": row.id})
            return
        if lease_deadline - self._clock() < self._send_timeout + LEASE_MARGIN:
            # Waited so long (a long flood pause) that the lease could end mid-send and let
            # another sender repeat the message: give the row back to be claimed afresh.
            await self._hand_back(row)
            return
        send = asyncio.ensure_future(self._send(row, message))
        try:
            await asyncio.shield(send)
        except asyncio.CancelledError:
            # Abandoning a request between Telegram's answer and mark_sent is exactly how a
            # message would go out twice; the request is bounded by send_timeout.
            await send
            raise

    async def _send(self, row: Outbox, message: RenderedMessage) -> None:
        assert row.id is not None
        try:
            sent = await self._bot.send_message(
                row.chat_id,
                message.text,
                reply_markup=message.reply_markup,
                request_timeout=math.ceil(self._send_timeout),
            )
        except Exception as error:
            await self._failed(row, error)
            return
        await self._record(outbox.mark_sent, row, sent.message_id)

    async def _failed(self, row: Outbox, error: Exception) -> None:
        outcome, reason = classify(error)
        text = self._describe(error)
        extra: dict[str, Any] = {
            "outbox_id": row.id,
            "kind": row.kind,
            "attempt": row.attempts + 1,
            "reason": reason,
            # The new chat's id is in a migration's description; chat ids stay out of logs.
            "error": "" if reason == "chat_migrated" else text,
        }
        if outcome == "fail":
            level = logging.INFO if reason == "unreachable" else logging.ERROR
            log.log(level, "outbox delivery failed", extra=extra | {"outcome": "failed"})
            await self._record(outbox.mark_failed, row, error=text)
            return
        if outcome == "flood":
            assert isinstance(error, TelegramRetryAfter)
            delay = float(error.retry_after)
            try:
                await self._pacer.pause(delay)
            except Exception:
                # This instance still pauses; the others learn of the limit by their own 429.
                log.exception("flood pause not shared", extra={"outbox_id": row.id})
        else:
            delay = backoff_delay(row.attempts, self._max_backoff)
        log.log(
            logging.ERROR if reason in ("api_error", "unexpected") else logging.WARNING,
            "outbox delivery failed",
            extra=extra | {"outcome": "retry", "retry_in": round(delay, 2)},
            exc_info=error if reason == "unexpected" else None,
        )
        await self._record(outbox.mark_retry, row, error=text, delay_seconds=delay)

    def _describe(self, error: BaseException) -> str:
        if isinstance(error, TelegramAPIError):
            text = error.message
        else:
            text = f"{type(error).__name__}: {error}"
        # A network error may quote the request URL, which holds the bot's token.
        return text.replace(self._bot.token, "<token>")

    async def _record(
        self, mark: Callable[..., Awaitable[None]], row: Outbox, *args: Any, **kwargs: Any
    ) -> None:
        for delay in (*_RECORD_DELAYS, None):
            try:
                await mark(self._sessions, row.id, *args, **kwargs)
                return
            except Exception:
                if delay is None:
                    # The row stays claimed; once its lease ends it is tried again.
                    log.exception(
                        "outbox outcome not recorded",
                        extra={"outbox_id": row.id, "outcome": mark.__name__},
                    )
                    return
                await asyncio.sleep(delay)

    async def _hand_back(self, row: Outbox) -> None:
        assert row.id is not None and row.claimed_until is not None
        try:
            await outbox.release(self._sessions, row.id, claimed_until=row.claimed_until)
        except Exception:
            log.exception("outbox claim not released", extra={"outbox_id": row.id})
