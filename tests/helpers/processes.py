"""`python -m bot` in a process of its own, as an operator runs it, against the fake Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

from bot.config import Settings
from tests.fakebot import FakeTelegram
from tests.helpers.bot import TEST_TOKEN

ROOT = Path(__file__).resolve().parents[2]


async def start_bot_process(
    telegram: FakeTelegram,
    settings: Settings,
    log_path: Path | None = None,
    **extra_environment: str,
) -> asyncio.subprocess.Process:
    """`python -m bot` as an operator runs it, against the fake Telegram; its log (JSON
    lines) goes to `log_path` when given."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_URL": telegram.url,
        "DATABASE_URL": settings.database_url,
        "EVIDENCE_DIR": str(settings.evidence_dir),
        **({"REDIS_URL": settings.redis_url} if settings.redis_url else {}),
        **extra_environment,
    }
    log = open(log_path, "ab") if log_path else None  # noqa: SIM115, ASYNC230 (a local file, kept by the child)
    try:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            env=environment,
            cwd=settings.evidence_dir.parent,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=log or asyncio.subprocess.DEVNULL,
        )
    finally:
        if log is not None:
            log.close()


async def stop(process: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> None:
    process.send_signal(sig)
    await asyncio.wait_for(process.wait(), timeout=20)


_HOLD_LOCK = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("COMMIT")
"""


@contextlib.asynccontextmanager
async def sqlite_locked(database_url: str, seconds: float) -> AsyncIterator[None]:
    """Another process holds the SQLite file's write lock for `seconds` from entering; on
    leaving, the lock has been given back."""
    database = database_url.split("///", 1)[1]
    locker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _HOLD_LOCK, database, str(seconds), stdout=asyncio.subprocess.PIPE
    )
    assert locker.stdout is not None
    assert await locker.stdout.readline() == b"locked\n"
    try:
        yield
    finally:
        await locker.wait()
