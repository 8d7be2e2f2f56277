"""The harness the intake and memory benchmarks share: the fake Telegram Bot API server
(tests/fakebot) in this process, the bot in a process of its own started as an operator
starts it, and simulated citizens who offer updates and time the bot's replies.

On a 2-core machine this puts the bot on one core and the harness on the other; the echo
bot run on the same harness shows how much of a figure is the harness's own ceiling."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from tests.fakebot import FakeTelegram, FakeUser

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456:BENCH-TOKEN"


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


class Inbox:
    """Every chat's messages from the bot, as queues, fed by the fake server's listener;
    and when each update was handed to the bot by getUpdates."""

    def __init__(self, telegram: FakeTelegram) -> None:
        self._queues: dict[int, asyncio.Queue[tuple[float, dict[str, Any]]]] = defaultdict(
            asyncio.Queue
        )
        self._fetched: dict[int, float] = {}
        telegram.output_listener = self._received
        telegram.fetch_listener = self._fetched_now

    def _received(self, chat_id: int, output: dict[str, Any]) -> None:
        self._queues[chat_id].put_nowait((time.monotonic(), output))

    def _fetched_now(self, update_ids: list[int]) -> None:
        now = time.monotonic()
        for update_id in update_ids:
            self._fetched.setdefault(update_id, now)

    def fetched_at(self, update_id: int) -> float | None:
        return self._fetched.pop(update_id, None)

    async def next(self, chat_id: int, timeout: float) -> tuple[float, dict[str, Any]]:
        return await asyncio.wait_for(self._queues[chat_id].get(), timeout)

    def drain(self, chat_id: int) -> None:
        queue = self._queues[chat_id]
        while not queue.empty():
            queue.get_nowait()


class Reply(NamedTuple):
    offered_at: float
    replied_at: float
    step: str  # which question of the report it answered; "" outside a report
    fetched_at: float | None  # when getUpdates handed the update to the bot, if known


@dataclass
class Timings:
    """The bot's replies, timed from when their update was offered (in seconds).

    Each latency can be read by step, and split at the moment getUpdates handed the update
    to the bot: `waiting` is the part before (the update sat in the fake server until the
    bot's next fetch), `in_bot` the part after (the bot handling it, until its reply
    reached the server)."""

    replies: list[Reply] = field(default_factory=list)
    failures: int = 0
    refused: int = 0  # reports the bot answered with an error (bench/intake.py)

    def record(
        self,
        offered_at: float,
        replied_at: float,
        step: str = "",
        fetched_at: float | None = None,
    ) -> None:
        self.replies.append(Reply(offered_at, replied_at, step, fetched_at))

    @property
    def latencies(self) -> list[float]:
        return [reply.replied_at - reply.offered_at for reply in self.replies]

    @property
    def by_step(self) -> dict[str, list[float]]:
        steps: dict[str, list[float]] = defaultdict(list)
        for reply in self.replies:
            if reply.step:
                steps[reply.step].append(reply.replied_at - reply.offered_at)
        return steps

    @property
    def waiting(self) -> list[float]:
        return [r.fetched_at - r.offered_at for r in self.replies if r.fetched_at is not None]

    @property
    def in_bot(self) -> list[float]:
        return [r.replied_at - r.fetched_at for r in self.replies if r.fetched_at is not None]

    def offered_between(self, low: float, high: float) -> Timings:
        """The replies to updates offered from `low` to `high` (monotonic time)."""
        kept = [reply for reply in self.replies if low <= reply.offered_at <= high]
        return Timings(kept, self.failures)

    def replied_between(self, low: float, high: float) -> Timings:
        """The replies that arrived from `low` to `high` (monotonic time)."""
        kept = [reply for reply in self.replies if low <= reply.replied_at <= high]
        return Timings(kept, self.failures, self.refused)


@contextlib.asynccontextmanager
async def fake_telegram() -> AsyncIterator[tuple[FakeTelegram, Inbox]]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server, Inbox(server)
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def bot_process(
    telegram: FakeTelegram,
    module: str,
    workdir: Path,
    *,
    database_url: str | None = None,
    redis_url: str | None = None,
    extra_environment: dict[str, str] | None = None,
    ready_method: str = "getupdates",
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`python -m <module>` polling the fake server; yields once it is polling (or, for a
    webhook instance, once it has made one more `ready_method` call: "setwebhook")."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "REDIS_URL", "WEBHOOK_URL", "STAFF_CHAT_ID")
    }
    environment |= {
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": telegram.url,
        "EVIDENCE_DIR": str(workdir / "evidence"),
        **({"DATABASE_URL": database_url} if database_url else {}),
        **({"REDIS_URL": redis_url} if redis_url else {}),
        **(extra_environment or {}),
    }
    before = sum(call.method == ready_method for call in telegram.calls)
    log = (workdir / f"{module.replace('.', '-')}.log").open("ab")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        env=environment,
        cwd=workdir,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log,
    )
    try:
        started = time.monotonic()
        while sum(call.method == ready_method for call in telegram.calls) <= before:
            if process.returncode is not None or time.monotonic() - started > 180:
                raise RuntimeError(f"{module} did not start; see {log.name}")
            await asyncio.sleep(0.05)
        yield process
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


def rss_megabytes(pid: int) -> float:
    """Resident memory of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc status")


class Citizen:
    """One simulated person: offers an update, waits for the bot's next message, and
    records the time between them."""

    def __init__(self, telegram: FakeTelegram, inbox: Inbox, user_id: int, timings: Timings):
        self.user = FakeUser(telegram, user_id=user_id, first_name=f"Warga{user_id}")
        self.inbox = inbox
        self.timings = timings

    async def exchange(
        self, send: Any, *, step: str = "", timeout: float = 120.0
    ) -> dict[str, Any]:
        """Send (a coroutine from self.user), return the bot's first message after it."""
        self.inbox.drain(self.user.chat_id)
        offered = time.monotonic()
        update_id = await send
        while True:
            try:
                at, output = await self.inbox.next(self.user.chat_id, timeout)
            except TimeoutError:
                self.timings.failures += 1
                raise
            if output.get("_kind") == "message":
                fetched = self.inbox.fetched_at(update_id) if isinstance(update_id, int) else None
                self.timings.record(offered, at, step, fetched)
                return output

    async def wait_for(self, contains: str, timeout: float = 120.0) -> dict[str, Any]:
        """A later message containing `contains` (a step's question after a preamble)."""
        while True:
            _at, output = await self.inbox.next(self.user.chat_id, timeout)
            text = output.get("text") or output.get("caption") or ""
            if output.get("_kind") == "message" and contains in text:
                return output


class LoopWatch:
    """How this (the harness's) process keeps up while a run is under way: how late its
    event loop wakes a short sleep, its longest garbage collection, and the CPU it uses. A
    harness that cannot keep up delays both the updates it offers and the replies it
    notes, and its lag would be counted as the bot's."""

    _TICK = 0.005

    def __init__(self) -> None:
        self.lags: list[float] = []
        self.longest_collection = 0.0
        self.cpu_share = 0.0
        self._task: asyncio.Task[None] | None = None
        self._started = (0.0, 0.0)
        self._collecting_since = 0.0

    async def __aenter__(self) -> LoopWatch:
        self._started = (time.monotonic(), time.process_time())
        gc.callbacks.append(self._collection)
        self._task = asyncio.create_task(self._watch())
        return self

    async def __aexit__(self, *_exc: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        gc.callbacks.remove(self._collection)
        wall = time.monotonic() - self._started[0]
        self.cpu_share = (time.process_time() - self._started[1]) / max(wall, 1e-9)

    async def _watch(self) -> None:
        while True:
            before = time.monotonic()
            await asyncio.sleep(self._TICK)
            self.lags.append(time.monotonic() - before - self._TICK)

    def _collection(self, phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            self._collecting_since = time.perf_counter()
        else:
            took = time.perf_counter() - self._collecting_since
            self.longest_collection = max(self.longest_collection, took)


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """What the harness holds so far, left out of its garbage collector's full collections
    while latencies are measured. The fake server keeps every call and message of a
    section, hundreds of thousands of objects once a saturated run is done, and a full
    collection walks them all with the event loop stopped: a pause every citizen would
    count as the bot's latency."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
