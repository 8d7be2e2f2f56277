"""The outbox sender: claims due rows, renders each, takes a send slot (outbound/pacing.py)
and records what Telegram answered, deciding retries by outbound/failures.py.

Delivery is at least once; a message goes out twice only in two narrow cases. A row is
claimed with a lease and marked sent right after Telegram accepts it, so it is repeated when
the process dies (or loses its database for longer than a few retries) between Telegram's
answer and the commit of `mark_sent`: the lease then runs out and another sender sends it
again (one process on SQLite, restarted, takes its killed run's claims back at once:
`sole_sender`). And a request that times out is retried, though Telegram may have accepted it.
Stopping the sender by cancelling it opens no such window: a send under way is finished and
recorded first, and rows still waiting for a slot are handed back unsent."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import math
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramRetryAfter

from bot.outbound.failures import backoff_delay, classify
from bot.outbound.messages import Delivery, Renderer
from bot.outbound.pacing import Pacer, Permit, SharedSlots
from bot.services import outbox
from storage.db import SessionFactory
from storage.models import Outbox
from storage.send_limits import SEND_HOLD
from storage.sqlite_writer import SqliteWriter

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
        writer: SqliteWriter | None = None,
        sole_sender: bool = False,
    ) -> None:
        """`sole_sender`: no other sender can be running on this database (one process on
        SQLite). A claim found at start is then an earlier run's, killed mid-way: it is
        handed back, and what that run had under way goes out now instead of a lease later."""
        if lease_seconds < send_timeout + 2 * LEASE_MARGIN:
            raise ValueError("lease_seconds must leave room for a send and its margin")
        if send_timeout + LEASE_MARGIN > SEND_HOLD:
            raise ValueError("send_timeout must end well within SEND_HOLD")
        self._bot = bot
        self._sessions = session_factory
        # SQLite: claims and outcomes are committed with the other updates' writes.
        self._writer = writer
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
        self._sole_sender = sole_sender

    def wake(self) -> None:
        """Look for work now (call after a commit that enqueued rows; same event loop)."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver until cancelled. Rows are claimed whenever half the batch is free rather
        than in rounds, so one slow request holds back only its own chat."""
        if self._sole_sender:
            await self._hand_back_earlier_claims()
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
        rows = await outbox.claim_due(
            self._sessions, limit=limit, lease_seconds=self._lease, writer=self._writer
        )
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
                await mark(self._sessions, row.id, *args, writer=self._writer, **kwargs)
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

    async def _hand_back_earlier_claims(self) -> None:
        try:
            released = await outbox.release_all(self._sessions, writer=self._writer)
        except Exception:
            # Those rows still go out once their leases run out.
            log.exception("outbox claims of an earlier run not handed back")
            return
        if released:
            log.info("outbox claims of an earlier run handed back", extra={"rows": released})

    async def _hand_back(self, row: Outbox) -> None:
        assert row.id is not None and row.claimed_until is not None
        try:
            await outbox.release(
                self._sessions, row.id, claimed_until=row.claimed_until, writer=self._writer
            )
        except Exception:
            log.exception("outbox claim not released", extra={"outbox_id": row.id})
