"""Scaling out: one and then two instances of the bot in webhook mode on PostgreSQL + Redis,
the fake server posting updates to them in turn as a load balancer in front of one address
would, 40 requests at once (Telegram's default max_connections). Whole reports in the
same closed loop as bench/intake.py, staff chat on; the figure is the ratio of the two
sustained rates, the scaling efficiency that ratio over two.

On a 2-core machine the harness (fake server and citizens), PostgreSQL and Redis share the
cores with the instances, so the CPU each used is given beside the rates: two instances
cannot be twice one when one already leaves the machine little idle."""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import AsyncIterator

from bench.context import BenchContext
from bench.databases import fresh_database
from bench.harness import Inbox, bot_process, fake_telegram
from bench.intake import STAFF_CHAT_ID, SteadyWindow, _saturate, report_photos
from bench.report import Result

SECTION = "scaleout"
SECRET = "bench-webhook-secret"
CONNECTIONS = 40  # Telegram's default max_connections for a webhook
TARGET = 1.6


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process, from /proc (Linux)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU time of the whole machine so far, from /proc/stat."""
    with open("/proc/stat", encoding="ascii") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@contextlib.asynccontextmanager
async def _instances(
    context: BenchContext, count: int
) -> AsyncIterator[tuple[object, Inbox, list[int]]]:
    assert context.redis_url is not None
    from redis.asyncio import Redis

    client = Redis.from_url(context.redis_url)
    await client.flushdb()
    await client.aclose()
    async with (
        fresh_database(context, "postgresql") as database_url,
        fake_telegram() as (telegram, inbox),
        contextlib.AsyncExitStack() as stack,
    ):
        ports = [_free_port() for _ in range(count)]
        pids = []
        for port in ports:
            process = await stack.enter_async_context(
                bot_process(
                    telegram,
                    "bot",
                    context.workdir,
                    database_url=database_url,
                    redis_url=context.redis_url,
                    extra_environment={
                        "STAFF_CHAT_ID": str(STAFF_CHAT_ID),
                        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
                        "WEBHOOK_SECRET": SECRET,
                        "PORT": str(port),
                    },
                    ready_method="setwebhook",
                )
            )
            pids.append(process.pid)
        telegram.deliver_by_webhook(
            [f"http://127.0.0.1:{port}/telegram" for port in ports], SECRET, CONNECTIONS
        )
        yield telegram, inbox, pids


async def _measure(context: BenchContext, count: int) -> tuple[SteadyWindow, str]:
    photos = report_photos(context)
    async with _instances(context, count) as (telegram, inbox, pids):
        cpu_before = [_cpu_seconds(pid) for pid in pids]
        harness_before = time.process_time()
        machine_before = _machine_busy()
        wall_before = time.monotonic()
        window = await _saturate(context, telegram, inbox, photos)  # type: ignore[arg-type]
        wall = time.monotonic() - wall_before
        instances = [
            (_cpu_seconds(pid) - cpu) / wall for pid, cpu in zip(pids, cpu_before, strict=True)
        ]
        harness = (time.process_time() - harness_before) / wall
        busy, total = _machine_busy()
        machine = (busy - machine_before[0]) / max(total - machine_before[1], 1)
    cpu = (
        "CPU while loaded: instances "
        + ", ".join(f"{share:.0%}" for share in instances)
        + f" of a core each, harness {harness:.0%}, whole machine {machine:.0%} busy"
    )
    return window, cpu


async def run(context: BenchContext) -> list[Result]:
    if not (context.postgres_url and context.redis_url):
        return [Result(SECTION, "two webhook instances on PostgreSQL + Redis", "skipped")]
    one, one_cpu = await _measure(context, 1)
    two, two_cpu = await _measure(context, 2)
    ratio = two.rate / one.rate if one.rate else 0.0
    return [
        Result(
            SECTION,
            "PostgreSQL + Redis, one webhook instance: sustained",
            one.rate,
            "updates/s",
            note=f"closed loop, staff chat, steady {one.seconds:.0f} s; {one_cpu}",
        ),
        Result(
            SECTION,
            "PostgreSQL + Redis, two webhook instances: sustained",
            two.rate,
            "updates/s",
            note=f"{two.timings.failures} timed out, {two.timings.refused} refused; {two_cpu}",
        ),
        Result(
            SECTION,
            "two instances against one",
            f"{ratio:.2f}",
            "×",
            f"≥ {TARGET} ×",
            None if context.quick else ratio >= TARGET,
            note=f"scaling efficiency {ratio / 2:.0%}",
        ),
    ]
