"""Memory: the resident size of one bot process (SQLite, the default) with 10,000
conversations in progress, each a reporter who started a report and chose to stay
anonymous, so the bot now waits for the civil servant's name; beside a bare aiogram echo
bot (bench/echo_bot.py) that has served the same number of chats.

The resident size is read at every quarter of the conversations, and the slope per
conversation is the least-squares line through those readings (from the first quarter on,
so the one-off growth of the first burst of updates is not divided among them): a figure
that grows with every reporter, unlike what is left over from the first bursts.

Where the megabytes went (2026-11-30, measured by importing each package in turn after the
echo bot's own imports, and from /proc/PID/smaps): the echo bot's 167 MB are Python (11 MB)
and aiogram (about 155 MB: importing `aiogram.types` builds pydantic validators and
serializers for every Bot API type, most of it native memory that tracemalloc does not
see). The bot adds SQLAlchemy with its ORM, the SQLite driver and SQLModel (about 20 MB),
PostgreSQL's SQLAlchemy dialect (2.3 MB, loaded on SQLite too, because the models' partial
indexes name `postgresql_where`), our models (2.2 MB), rapidfuzz (2.4 MB),
pydantic-settings and Babel (2 MB), our own modules (4.4 MB) and about 3 MB of state built
at start; fpdf2 (31 MB with fontTools, cryptography, lxml and Pillow) is imported only to
make a forwarding document. Beyond the echo bot's growth, each conversation keeps under a
kilobyte (its cached state, the report rate limit, the chat's language), and the first
bursts leave more than the echo bot's do: up to 32 updates in flight (256 until
2026-11-30, which left 11 MB more), each with its database session and greenlet, served by
up to 15 pooled SQLite connections with a thread each; memory they free is mostly not given
back to the system (a pool of 5 left 5 MB less after 2,500 conversations)."""

from __future__ import annotations

import asyncio
import itertools

from bench.context import BenchContext
from bench.databases import fresh_database, sqlite_left_out
from bench.harness import Citizen, Timings, bot_process, fake_telegram, rss_megabytes
from bench.report import Result

SECTION = "memory"
ABOVE_ECHO_MB = 25  # issue 16: at most the echo bot's resident size and this
AT_ONCE = 300  # citizens mid-exchange at any moment: the bot's pace, not a flood
_user_ids = itertools.count(7_000_000)


def _slope_kb(points: list[tuple[int, float]]) -> float:
    """KB per conversation: least squares through (conversations, MB)."""
    if len(points) < 2:
        return 0.0
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    if spread == 0:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread * 1024


async def _in_quarters(conversations: int, start_one: object, pid: int) -> list[tuple[int, float]]:
    gate = asyncio.Semaphore(AT_ONCE)

    async def gated() -> None:
        async with gate:
            await start_one()  # type: ignore[operator]

    readings = []
    done = 0
    for quarter in range(4):
        upto = conversations * (quarter + 1) // 4
        await asyncio.gather(*(gated() for _ in range(upto - done)))
        done = upto
        readings.append((done, rss_megabytes(pid)))
    return readings


async def run(context: BenchContext) -> list[Result]:
    if (skipped := sqlite_left_out(context, SECTION)) is not None:
        return skipped
    conversations = context.size(10_000, 100)
    timings = Timings()
    async with (
        fake_telegram() as (telegram, inbox),
        bot_process(telegram, "bench.echo_bot", context.workdir) as echo,
    ):
        echo_idle = rss_megabytes(echo.pid)

        async def chat() -> None:
            citizen = Citizen(telegram, inbox, next(_user_ids), timings)
            await citizen.exchange(citizen.user.send("/lapor"))
            await citizen.exchange(citizen.user.send("Anonim"))

        echo_readings = await _in_quarters(conversations, chat, echo.pid)
    echo_busy = echo_readings[-1][1]
    async with (
        fresh_database(context, "sqlite") as database_url,
        fake_telegram() as (telegram, inbox),
        bot_process(telegram, "bot", context.workdir, database_url=database_url) as process,
    ):
        idle = rss_megabytes(process.pid)

        async def start_report() -> None:
            citizen = Citizen(telegram, inbox, next(_user_ids), timings)
            await citizen.exchange(citizen.user.send("/lapor"))
            question = await citizen.wait_for("Langkah 1/9")
            await citizen.exchange(citizen.user.press(question, "Anonim"))

        readings = await _in_quarters(conversations, start_report, process.pid)
    busy = readings[-1][1]
    slope = _slope_kb(readings)
    echo_slope = _slope_kb(echo_readings)
    shown = ", ".join(f"{count:,}: {mb:.0f}" for count, mb in readings)
    return [
        Result(
            SECTION,
            "bare aiogram echo bot RSS after start (the framework's floor)",
            echo_idle,
            "MB",
        ),
        Result(
            SECTION,
            f"echo bot RSS after {conversations:,} chats of two messages",
            echo_busy,
            "MB",
            note=f"{echo_slope:.2f} KB more per chat (slope from the first quarter)",
        ),
        Result(SECTION, "bot process RSS after start", idle, "MB"),
        Result(
            SECTION,
            f"bot process RSS, {conversations:,} conversations in progress",
            busy,
            "MB",
            f"≤ echo + {ABOVE_ECHO_MB} MB ({echo_busy + ABOVE_ECHO_MB:.0f})",
            None if context.quick else busy <= echo_busy + ABOVE_ECHO_MB,
            note=f"{busy - echo_busy:+.0f} MB against the echo bot after as many chats, "
            f"{busy - echo_idle:+.0f} against it at start; {timings.failures} timed out",
        ),
        Result(
            SECTION,
            "bot process: memory per open conversation (slope)",
            slope,
            "KB",
            note=f"least squares through the readings at {shown} MB",
        ),
    ]
