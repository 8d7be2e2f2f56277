"""Notification fan-out (issue #5): 5,000 status changes queued at once, then delivered by the
real outbox sender to the fake Bot API enforcing Telegram's limits (30 messages in any second,
one a second per chat, 429 with retry_after beyond them).

Setup: 5,000 reporters with a case each, inserted in bulk; every case is then moved
`received` → `initial_review` through `Desk.set_status`, which is what queues the reporter's
notification in the outbox. Only then is the sender started (as `start_jobs` runs it:
inside `without_retries()`, rendering with `NotificationRenderer`). On PostgreSQL two
senders, each with its own engine and Bot, share their send slots through Redis, as two
instances of the bot would.

Figures are taken at the fake server: when each request reached it, which were refused
with 429, and what every chat received."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select

from bench.context import BenchContext
from bench.databases import available_backends, fresh_database
from bench.report import Result
from bot.config import Settings
from bot.dispatch.i18n import create_i18n
from bot.outbound.reporter_messages import NotificationRenderer
from bot.outbound.sender import OutboxSender
from bot.services import outbox
from bot.services.codes import generate_code
from bot.services.desk import Desk
from bot.services.offices import OfficeDirectory
from bot.services.register import DEFAULT_FORMAT
from bot.services.staff_feed import StaffFeed
from bot.telegram.client import create_bot
from bot.telegram.retry import without_retries
from storage.db import (
    SessionFactory,
    create_engine,
    create_session_factory,
    create_sqlite_writer,
)
from storage.models import Case, Reporter, utcnow
from storage.sqlite_writer import SqliteWriter
from tests.fakebot import FakeTelegram
from tests.fakebot.limits import TelegramLimits

SECTION = "fanout"
TARGET_RATE = 29.0  # messages a second, once steady
# What counts as starting up: the first claim, the first connections. Rates and 429s
# "once steady" are taken after it.
WARM_UP_SECONDS = 2.0
QUICK_WARM_UP_SECONDS = 0.5
CHAT_BASE = 600_000_000
# Status changes made side by side, as several staff officers would.
DESK_CONCURRENCY = 8


@dataclass
class Timings:
    """Time spent awaiting the outbox's database calls, as the sender sees them."""

    calls: Counter[str] = field(default_factory=Counter)
    seconds: Counter[str] = field(default_factory=Counter)
    rows: Counter[str] = field(default_factory=Counter)


@contextlib.contextmanager
def timed_outbox(timings: Timings) -> Iterator[None]:
    """Wrap outbox.claim_due and outbox.mark_sent (looked up by the sender at call time) to
    time them."""
    originals = {"claim_due": outbox.claim_due, "mark_sent": outbox.mark_sent}

    def wrap(name: str, function: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            result = await function(*args, **kwargs)
            timings.seconds[name] += time.perf_counter() - started
            timings.calls[name] += 1
            timings.rows[name] += len(result) if name == "claim_due" else 1
            return result

        return timed

    for name, function in originals.items():
        setattr(outbox, name, wrap(name, function))
    try:
        yield
    finally:
        for name, function in originals.items():
            setattr(outbox, name, function)


async def seed(sessions: SessionFactory, count: int) -> dict[str, int]:
    """`count` reporters with one case each, in bulk; returns code -> reporter chat id."""
    chats = [CHAT_BASE + n for n in range(count)]
    async with sessions() as session, session.begin():
        connection = await session.connection()
        await connection.execute(
            insert(Reporter),
            [
                {
                    "chat_id": chat,
                    "identity": "anonymous",
                    "locale": "en" if n % 3 == 0 else "id",
                    "created_at": utcnow(),
                }
                for n, chat in enumerate(chats)
            ],
        )
        ids = dict((await connection.execute(select(Reporter.chat_id, Reporter.id))).all())  # type: ignore[call-overload]
        codes: dict[str, int] = {}
        while len(codes) < count:
            codes[generate_code("ASN")] = chats[len(codes)]
        now = utcnow()
        await connection.execute(
            insert(Case),
            [
                {
                    "code": code,
                    "status": "received",
                    "category": "social_media",
                    "asn_name": f"ASN {n}",
                    "agency": "Dinas Pendidikan",
                    "agency_key": "dinas pendidikan",
                    "province": "Jawa Barat",
                    "incident_date": now.date(),
                    "description": "Membagikan unggahan kampanye.",
                    "reporter_id": ids[chat],
                    "created_at": now,
                    "status_changed_at": now,
                }
                for n, (code, chat) in enumerate(codes.items())
            ],
        )
    return codes


async def change_all(desk: Desk, codes: list[str], concurrency: int) -> None:
    gate = asyncio.Semaphore(concurrency)

    async def change(code: str) -> None:
        async with gate:
            await desk.set_status(code, "initial_review", actor_id=1, public_note=None)

    await asyncio.gather(*(change(code) for code in codes))


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    busiest, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - 1.0:
            start += 1
        busiest = max(busiest, end - start + 1)
    return busiest


def slowest_window(times: list[float], start: float, end: float, width: float) -> float:
    """The lowest rate over any `width` seconds between `start` and `end`."""
    times = sorted(t for t in times if start < t <= end)
    if end - start < width or not times:
        return len(times) / max(end - start, 1e-9)
    lowest = float("inf")
    step = 0.25
    at = start
    low = high = 0
    while at + width <= end:
        while low < len(times) and times[low] <= at:
            low += 1
        while high < len(times) and times[high] <= at + width:
            high += 1
        lowest = min(lowest, (high - low) / width)
        at += step
    return lowest


async def run_backend(context: BenchContext, backend: str, count: int) -> list[Result]:
    label = "SQLite, 1 sender" if backend == "sqlite" else "PostgreSQL + Redis, 2 senders"
    quick = context.quick
    warm_up = QUICK_WARM_UP_SECONDS if quick else WARM_UP_SECONDS
    senders_wanted = 1 if backend == "sqlite" else 2
    results: list[Result] = []

    def result(
        metric: str, value: float | str, unit: str = "", target: str = "", **kw: Any
    ) -> None:
        met = kw.pop("met", None)
        results.append(
            Result(SECTION, f"{label}: {metric}", value, unit, target, None if quick else met, **kw)
        )

    async with fresh_database(context, backend) as url:
        engines = [create_engine(url) for _ in range(senders_wanted)]
        sessions = [create_session_factory(engine) for engine in engines]
        telegram = FakeTelegram()
        await telegram.start()
        redis = None
        writer: SqliteWriter | None = None
        bots = []
        try:
            codes = await seed(sessions[0], count)
            feed = StaffFeed(OfficeDirectory(sessions[0], None), "id")
            desk = Desk(sessions[0], "ASN", staff_feed=feed, register_format=DEFAULT_FORMAT)
            started = time.perf_counter()
            await change_all(desk, list(codes), DESK_CONCURRENCY)
            queued_in = time.perf_counter() - started
            assert await outbox.pending_count(sessions[0]) == count
            result(
                f"queue {count:,} status changes (Desk.set_status)",
                count / queued_in,
                "/s",
                note=f"{queued_in:.1f} s, {DESK_CONCURRENCY} at a time",
            )

            shared: list[Any] = [None] * senders_wanted
            if backend == "postgresql":
                from redis.asyncio import Redis

                from storage.redis_state import RedisSendSlots

                assert context.redis_url
                redis = Redis.from_url(context.redis_url)
                prefix = f"bench:send:{uuid.uuid4().hex[:8]}"  # its own slots, whatever else runs
                shared = [
                    RedisSendSlots(redis, rate=30, per_chat_seconds=1, prefix=prefix)
                    for _ in range(senders_wanted)
                ]
            settings = Settings(
                bot_token="123456:BENCH",
                telegram_api_url=telegram.url,
                database_url=url,
                _env_file=None,  # type: ignore[call-arg]
            )
            renderer = NotificationRenderer(create_i18n("id"))
            bots = [create_bot(settings) for _ in range(senders_wanted)]
            # As the bot runs on SQLite: the outbox's outcomes through its writer.
            writer = create_sqlite_writer(engines[0], url)
            senders = [
                OutboxSender(bot, factory, renderer, shared_slots=slots, writer=writer)
                for bot, factory, slots in zip(bots, sessions, shared, strict=True)
            ]
            telegram.limits = TelegramLimits()
            timings = Timings()
            cpu_before = time.process_time()
            with timed_outbox(timings), without_retries():
                begin = time.monotonic()
                tasks = [asyncio.create_task(sender.run()) for sender in senders]
                try:
                    async with asyncio.timeout(count / 10 + 60):
                        while await outbox.pending_count(sessions[0]):  # noqa: ASYNC110
                            await asyncio.sleep(0.25)
                finally:
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
            cpu = time.process_time() - cpu_before
        finally:
            for bot in bots:
                await bot.session.close()
            await telegram.stop()
            if redis is not None:
                await redis.aclose()
            if writer is not None:
                await writer.close()
            for engine in engines:
                await engine.dispose()

    sends = [c for c in telegram.calls if c.method == "sendmessage"]
    accepted = sorted(c.at for c in sends if c.ok)
    assert telegram.limits is not None
    refusals = telegram.limits.refusals
    last = accepted[-1] if accepted else begin
    steady_from = begin + warm_up
    in_steady = [t for t in accepted if t > steady_from]
    steady_rate = len(in_steady) / (last - steady_from) if last > steady_from else 0.0
    overall = len(accepted) / (last - begin) if last > begin else 0.0
    late_429 = sum(1 for r in refusals if r.at > steady_from)
    ideal = count / TARGET_RATE

    result(
        f"delivery rate once steady (after {warm_up:g} s)",
        steady_rate,
        "/s",
        f"≥ {TARGET_RATE:g} /s",
        met=steady_rate >= TARGET_RATE,
        note=""
        if quick
        else f"slowest 5 s: {slowest_window(accepted, steady_from, last, 5.0):.1f} /s",
    )
    result("delivery rate overall", overall, "/s", note="from the sender's start to the last")
    result(
        "429s received",
        f"{len(refusals):,}",
        "",
        note=", ".join(f"{k}: {v}" for k, v in Counter(r.reason for r in refusals).items())
        or "none",
    )
    result(f"429s once steady (after {warm_up:g} s)", f"{late_429:,}", "", "0", met=late_429 == 0)
    result(
        "time until the last is delivered",
        last - begin,
        "s",
        f"≤ {ideal:.0f} s ({count:,} at {TARGET_RATE:g}/s)",
        met=last - begin <= ideal,
    )
    busiest = busiest_second(accepted)
    result("busiest second at the server", str(busiest), "messages", "≤ 30", met=busiest <= 30)
    per_chat = Counter(int(c.params["chat_id"]) for c in sends if c.ok)
    texts = {int(c.params["chat_id"]): c.params["text"] for c in sends if c.ok}
    exactly_once = sum(
        1 for code, chat in codes.items() if per_chat.get(chat) == 1 and code in texts[chat]
    )
    result(
        "reporters who got exactly one message (with their code)",
        f"{exactly_once:,}/{count:,}",
        "",
        "all",
        met=exactly_once == count and len(per_chat) == count,
    )
    for name, what in (("claim_due", "claim"), ("mark_sent", "mark_sent (until committed)")):
        if timings.calls[name]:
            rows = max(timings.rows[name], 1)
            result(
                f"{what}: time per row",
                1000 * timings.seconds[name] / rows,
                "ms",
                note=f"{timings.calls[name]:,} calls, {timings.rows[name]:,} rows, "
                f"{1000 * timings.seconds[name] / timings.calls[name]:.1f} ms a call",
            )
    result(
        "CPU per message (bench process: sender and fake server)",
        1000 * cpu / max(len(accepted), 1),
        "ms",
        note=f"{100 * cpu / max(last - begin, 1e-9):.0f}% of one core while delivering",
    )
    return results


async def run(context: BenchContext) -> list[Result]:
    count = context.size(5_000, 60)
    results: list[Result] = []
    for backend in available_backends(context):
        if backend == "postgresql" and not context.redis_url:
            results.append(
                Result(SECTION, "PostgreSQL + Redis", "skipped", note="BENCH_REDIS_URL unset")
            )
            continue
        results.extend(await run_backend(context, backend, count))
    return results
