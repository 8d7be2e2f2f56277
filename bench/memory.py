"""Memory: the resident size of one bot process (SQLite, the default) with 10,000
conversations in progress, each a reporter who started a report and chose to stay
anonymous, so the bot now waits for the civil servant's name."""

from __future__ import annotations

import asyncio
import itertools

from bench.context import BenchContext
from bench.databases import fresh_database
from bench.harness import Citizen, Timings, bot_process, fake_telegram, rss_megabytes
from bench.report import Result

SECTION = "memory"
TARGET_MB = 200
AT_ONCE = 300  # citizens mid-exchange at any moment: the bot's pace, not a flood
_user_ids = itertools.count(7_000_000)


async def run(context: BenchContext) -> list[Result]:
    conversations = context.size(10_000, 100)
    timings = Timings()
    # The framework's floor: a bare aiogram echo bot, polling, before any update.
    async with (
        fake_telegram() as (telegram, _inbox),
        bot_process(telegram, "bench.echo_bot", context.workdir) as echo,
    ):
        floor = rss_megabytes(echo.pid)
    async with (
        fresh_database(context, "sqlite") as database_url,
        fake_telegram() as (telegram, inbox),
        bot_process(telegram, "bot", context.workdir, database_url=database_url) as process,
    ):
        idle = rss_megabytes(process.pid)
        gate = asyncio.Semaphore(AT_ONCE)

        async def start_report() -> None:
            async with gate:
                citizen = Citizen(telegram, inbox, next(_user_ids), timings)
                await citizen.exchange(citizen.user.send("/lapor"))
                question = await citizen.wait_for("Langkah 1/9")
                await citizen.exchange(citizen.user.press(question, "Anonim"))

        await asyncio.gather(*(start_report() for _ in range(conversations)))
        busy = rss_megabytes(process.pid)
    per_conversation_kb = (busy - idle) * 1024 / conversations
    return [
        Result(
            SECTION, "bare aiogram echo bot RSS after start (the framework's floor)", floor, "MB"
        ),
        Result(SECTION, "bot process RSS after start", idle, "MB"),
        Result(
            SECTION,
            f"bot process RSS, {conversations:,} conversations in progress",
            busy,
            "MB",
            f"≤ {TARGET_MB} MB",
            None if context.quick else busy <= TARGET_MB,
            note=f"{per_conversation_kb:.1f} KB more per conversation; "
            f"{timings.failures} timed out",
        ),
    ]
