"""Delivering the outbox to Telegram within its limits: about 30 messages a second overall,
one a second per chat, and a pause of all sending whenever Telegram answers 429 (its flood
limit is per bot, not per chat).

The limits must hold where Telegram counts them, whatever happens between here and there, so
a send is never booked for later: it is granted at the moment it can go, and it counts from
then until its answer arrives (LocalSlots; RedisSendSlots keeps the same rules for several
instances). Booking slots ahead let a task that woke late send together with those booked
after it, 31 or more in one second.

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
import inspect
import itertools
import logging
import math
import random
import time
import uuid
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
from aiogram.types import InlineKeyboardMarkup, ReplyParameters

from bot.services import outbox
from storage.db import SessionFactory
from storage.models import Outbox
from storage.send_limits import CATCH_UP, GROUP_INTERVAL, LIMIT_MARGIN, SEND_HOLD

log = logging.getLogger(__name__)

# Kept between the end of a send's timeout and the end of its row's lease: room for clock
# drift between instances and for writing the outcome before another sender may take the row.
LEASE_MARGIN = 5.0
# Writing an outcome is retried briefly: a "sent" lost to a database hiccup means a repeat.
_RECORD_DELAYS = (0.2, 1.0, 3.0)
# How long a sender may hold a claimed row before another may take it: a sender that died
# mid-send leaves its rows to others after this.
OUTBOX_LEASE_SECONDS = 60.0
# The longest pause between claims while the database is failing: short, so delivery
# resumes within seconds of it coming back.
CLAIM_RETRY_CAP = 5.0


class Delivery(Protocol):
    """One outbox row made ready to send: one Bot API request, whose message id is
    returned (None when Telegram gives none)."""

    async def deliver(self, bot: Bot, chat_id: int, *, timeout: int) -> int | None: ...


@dataclass(frozen=True)
class RenderedMessage:
    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    # Shown as a reply to this message of the chat (a staff card), if it still exists.
    reply_to: int | None = None

    async def deliver(self, bot: Bot, chat_id: int, *, timeout: int) -> int | None:
        sent = await bot.send_message(
            chat_id,
            self.text,
            reply_markup=self.reply_markup,
            reply_parameters=replying_to(self.reply_to),
            request_timeout=timeout,
        )
        return sent.message_id


def replying_to(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


# A renderer returns what to send, None when the row has nothing left to say (a staff card
# superseded by a later one), and may be a coroutine when it must read the database.
Rendered = Delivery | None
Renderer = Callable[[Outbox], "Rendered | Awaitable[Rendered]"]


Take = tuple[Literal["granted", "wait", "chat_busy"], float]


class SharedSlots(Protocol):
    """Send slots kept for the whole deployment (storage/redis_state.RedisSendSlots); the
    local LocalSlots keeps the same rules in memory. See LocalSlots for what they are."""

    async def take(self, token: str, chat_id: int) -> Take:
        """Take a slot to send to `chat_id` now under the name `token`, or say how many
        seconds to wait: "wait" for all sending, "chat_busy" for this chat only."""
        ...

    async def settle(self, token: str, chat_id: int) -> None:
        """The send taken as `token` has had its answer (or was never made)."""
        ...

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


class LocalSlots:
    """Telegram's limits kept by one process. A send is granted only now, never booked for
    later, and it counts from the moment it is granted until its answer has arrived
    (`settle`): Telegram received the request somewhere in that interval, whatever the
    network or a busy event loop did to it. So:

    - a new send is granted only while fewer than `rate` sends of the last `window` seconds
      are under way or were answered within them: any `rate` + 1 sends then reach Telegram at
      least a window apart, measured from one's arrival to the other's;
    - a chat gets its next send `per_chat` seconds after the previous one was answered (a
      group `GROUP_INTERVAL`, as it may have only 20 a minute);
    - grants are spread `1/rate` apart, so the first second is no burst and a 429 is
      answered before many more requests are under way; after a late wake-up (a busy event
      loop) they follow each other sooner until back on schedule, CATCH_UP at most;
    - nothing is granted while paused by a 429.

    Throughput is `rate` per (`window` + the time Telegram takes to answer), about 29.7 a
    second for 30 with answers in a few milliseconds."""

    def __init__(
        self,
        rate: float,
        per_chat: float,
        clock: Callable[[], float] = time.monotonic,
        *,
        window: float = 1.0,
        per_group: float = GROUP_INTERVAL,
        hold: float = SEND_HOLD,
    ) -> None:
        if rate <= 0 or per_chat < 0 or window <= 0:
            raise ValueError("rate and window must be positive and per_chat not negative")
        self._clock = clock
        self._limit = max(1, math.floor(rate + 1e-9))
        self._window = window + LIMIT_MARGIN
        self._spacing = window / rate
        self._per_chat = per_chat + LIMIT_MARGIN
        self._per_group = max(per_chat, per_group) + LIMIT_MARGIN
        self._hold = hold
        self._counted: dict[str, float] = {}  # token -> when it was answered (or will be, at most)
        self._chat_free: dict[int, float] = {}
        self._schedule = -math.inf
        self._paused_until = -math.inf

    def gap(self, chat_id: int) -> float:
        return self._per_group if chat_id < 0 else self._per_chat

    async def take(self, token: str, chat_id: int) -> Take:
        return self.take_now(token, chat_id)

    def take_now(self, token: str, chat_id: int) -> Take:
        now = self._clock()
        if self._paused_until > now:
            return "wait", self._paused_until - now
        free = self._chat_free.get(chat_id, -math.inf)
        if free > now:
            return "chat_busy", free - now
        if self._schedule > now:
            return "wait", self._schedule - now
        if len(self._counted) >= self._limit:
            horizon = now - self._window
            self._counted = {t: end for t, end in self._counted.items() if end > horizon}
            if len(self._counted) >= self._limit:
                return "wait", min(self._counted.values()) - horizon
        self._counted[token] = now + self._hold
        self._chat_free[chat_id] = now + self._hold + self.gap(chat_id)
        # A grant up to CATCH_UP late keeps to the schedule, so the next ones catch up.
        on_time = now - self._schedule <= CATCH_UP
        self._schedule = (self._schedule if on_time else now) + self._spacing
        if len(self._chat_free) > 10_000:  # forget chats whose gap has passed
            self._chat_free = {c: t for c, t in self._chat_free.items() if t > now}
        return "granted", 0.0

    async def settle(self, token: str, chat_id: int) -> None:
        self.settle_now(token, chat_id)

    def settle_now(self, token: str, chat_id: int) -> None:
        now = self._clock()
        self._counted[token] = now
        self._chat_free[chat_id] = now + self.gap(chat_id)

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)


@dataclass(frozen=True)
class Permit:
    token: str
    chat_id: int


class Pacer:
    """Hands out send slots (see LocalSlots; with `shared` slots the limits hold across
    instances). Waiters take turns in order of arrival, so only one of them at a time asks
    for a slot; one whose chat is busy waits out of turn."""

    def __init__(
        self,
        rate: float,
        per_chat: float,
        clock: Callable[[], float] = time.monotonic,
        shared: SharedSlots | None = None,
        *,
        per_group: float = GROUP_INTERVAL,
        hold: float = SEND_HOLD,
    ) -> None:
        self._slots: SharedSlots = (
            shared
            if shared is not None
            else LocalSlots(rate, per_chat, clock, per_group=per_group, hold=hold)
        )
        self._clock = clock
        self._paused_until = -math.inf
        self._turn = asyncio.Lock()  # fair: waiters acquire it in order
        self._name = uuid.uuid4().hex[:12]
        self._tokens = itertools.count()

    def paused_for(self) -> float:
        return max(0.0, self._paused_until - self._clock())

    async def pause(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        await self._slots.pause(seconds)

    async def acquire(self, chat_id: int) -> Permit:
        """Wait for a slot to send to `chat_id` now. The permit must be settled once the
        send has its answer, or if it is not made after all."""
        token = f"{self._name}:{next(self._tokens)}"
        while True:
            async with self._turn:
                while True:
                    if (paused := self.paused_for()) > 0:  # a 429 here, even if not shared
                        await asyncio.sleep(paused)
                        continue
                    outcome, wait = await self._take(token, chat_id)
                    if outcome == "granted":
                        return Permit(token, chat_id)
                    if outcome == "chat_busy":
                        break
                    await asyncio.sleep(wait)
            await asyncio.sleep(wait)  # this chat's gap, while others take their turns

    async def _take(self, token: str, chat_id: int) -> Take:
        taking = asyncio.ensure_future(self._slots.take(token, chat_id))
        try:
            return await asyncio.shield(taking)
        except asyncio.CancelledError:
            # A slot granted to a waiter that is gone would hold its chat until SEND_HOLD.
            with contextlib.suppress(Exception):
                if (await taking)[0] == "granted":
                    await self._slots.settle(token, chat_id)
            raise

    async def settle(self, permit: Permit) -> None:
        try:
            await self._slots.settle(permit.token, permit.chat_id)
        except Exception:
            # The send stays counted until SEND_HOLD: slower for a while, never over a limit.
            log.exception("send slot not settled")


class OutboxSender:
    """Sends the outbox: different chats side by side as the limits allow, one chat's rows
    strictly one after another in id order (claim_due offers a chat's next row only once the
    previous one is settled)."""

    def __init__(
        self,
        bot: Bot,
        session_factory: SessionFactory,
        render: Renderer,
        *,
        global_rate: float = 30.0,
        per_chat_interval: float = 1.0,
        poll_interval: float = 0.5,
        max_backoff: float = 300.0,
        batch_size: int = 60,
        lease_seconds: float = OUTBOX_LEASE_SECONDS,
        send_timeout: float = 20.0,
        clock: Callable[[], float] = time.monotonic,
        shared_slots: SharedSlots | None = None,
    ) -> None:
        if lease_seconds < send_timeout + 2 * LEASE_MARGIN:
            raise ValueError("lease_seconds must leave room for a send and its margin")
        if send_timeout + LEASE_MARGIN > SEND_HOLD:
            raise ValueError("send_timeout must end well within SEND_HOLD")
        self._bot = bot
        self._sessions = session_factory
        self._render = render
        self._clock = clock
        self._pacer = Pacer(global_rate, per_chat_interval, clock, shared_slots)
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._batch_size = batch_size
        # Claim again once half the batch is free rather than for each row that finishes:
        # one query per ~30 rows, and the rows in hand still last a second at 30 a second.
        self._claim_at = max(1, batch_size // 2)
        self._lease = lease_seconds
        self._send_timeout = send_timeout
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for work now (call after a commit that enqueued rows; same event loop)."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled. Rows are claimed whenever half the batch is free rather
        than in rounds, so one slow request holds back only its own chat."""
        tasks: set[asyncio.Task[None]] = set()
        claim_failures = 0

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
                if room >= self._claim_at:
                    try:
                        rows, deadline = await self._claim(room)
                    except Exception as error:
                        # The database may be unavailable; rows stay pending meanwhile. One
                        # traceback per outage, then a line per retry, spaced out.
                        claim_failures += 1
                        if claim_failures == 1:
                            log.exception("outbox claim failed")
                        else:
                            log.warning(
                                "outbox claim failed again",
                                extra={"failures": claim_failures, "error": repr(error)},
                            )
                        await asyncio.sleep(backoff_delay(claim_failures - 1, CLAIM_RETRY_CAP))
                        continue
                    if claim_failures:
                        log.info("outbox claims work again", extra={"failures": claim_failures})
                        claim_failures = 0
                    for row in rows:
                        task = asyncio.create_task(self._deliver(row, deadline))
                        tasks.add(task)
                        task.add_done_callback(finished)
                # Not wait_for: on 3.11 it swallows a cancel that arrives as the wake-up
                # does, and the sender would outlive its shutdown.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._poll_interval):
                        await self._wake.wait()
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
            rendered = self._render(row)
            message = await rendered if inspect.isawaitable(rendered) else rendered
        except Exception as error:
            extra = {"outbox_id": row.id, "kind": row.kind, "outcome": "failed"}
            log.exception("outbox delivery failed", extra=extra | {"reason": "render_error"})
            await self._record(outbox.mark_failed, row, error=f"render: {error!r}")
            return
        if message is None:
            await self._record(outbox.mark_sent, row, None)  # nothing left to send
            return
        try:
            permit = await self._pacer.acquire(row.chat_id)
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
            await self._pacer.settle(permit)
            await self._hand_back(row)
            return
        send = asyncio.ensure_future(self._send(row, message, permit))
        try:
            await asyncio.shield(send)
        except asyncio.CancelledError:
            # Abandoning a request between Telegram's answer and mark_sent is exactly how a
            # message would go out twice; the request is bounded by send_timeout.
            await send
            raise

    async def _send(self, row: Outbox, message: Delivery, permit: Permit) -> None:
        assert row.id is not None
        try:
            message_id = await message.deliver(
                self._bot, row.chat_id, timeout=math.ceil(self._send_timeout)
            )
        except Exception as error:
            await self._failed(row, error, permit)
            return
        # Settled before the row is recorded: the slot frees as soon as Telegram has answered.
        await self._pacer.settle(permit)
        await self._record(outbox.mark_sent, row, message_id)

    async def _failed(self, row: Outbox, error: Exception, permit: Permit) -> None:
        outcome, reason = classify(error)
        if outcome == "flood":
            assert isinstance(error, TelegramRetryAfter)
            try:
                # Before the slot is settled, so no other send takes it.
                await self._pacer.pause(float(error.retry_after))
            except Exception:
                # This instance still pauses; the others learn of the limit by their own 429.
                log.exception("flood pause not shared", extra={"outbox_id": row.id})
        await self._pacer.settle(permit)
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
