"""Telegram's send limits, kept where Telegram counts them: about 30 messages a second
overall, one a second per chat, 20 a minute per group, and a pause of all sending whenever
Telegram answers 429 (its flood limit is per bot, not per chat).

A send is never booked for later: it is granted at the moment it can go, and it counts from
then until its answer arrives (LocalSlots; storage/redis_state.RedisSendSlots keeps the same
rules for several instances). Booking slots ahead let a task that woke late send together
with those booked after it, 31 or more in one second."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import math
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, Protocol

from storage.send_limits import CATCH_UP, GROUP_INTERVAL, LIMIT_MARGIN, SEND_HOLD

log = logging.getLogger(__name__)

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
