"""A report survives the bot process being stopped mid-way and started again."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from sqlmodel import select

from bot.config import Settings
from storage.db import create_engine, create_session_factory
from storage.models import Case
from tests.conftest import TEST_TOKEN
from tests.dialog import finish_report_after_position, press, reply, say
from tests.fakebot import FakeTelegram, FakeUser

ROOT = Path(__file__).resolve().parent.parent


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


async def test_a_report_resumes_after_a_restart(
    telegram: FakeTelegram,
    citizen: FakeUser,
    settings_factory,  # type: ignore[no-untyped-def]
) -> None:
    settings = settings_factory()
    first = await start_bot_process(telegram, settings)
    try:
        await citizen.send("/lapor")
        await reply(citizen, timeout=30)  # the process needs a moment to start
        question = await reply(citizen, "Langkah 1/9")
        question = await press(citizen, question, "Anonim", "Langkah 2/9")
        await say(citizen, "Budi Santoso", "Langkah 2/9")
        # Let the handler return (and release the per-user lock) before the kill: a lock held
        # by a killed process would only be released by its 60-second lease.
        await asyncio.sleep(0.5)
    finally:
        await stop(first, signal.SIGKILL)  # no chance to save anything on the way out

    second = await start_bot_process(telegram, settings)
    try:
        # Still at the position question of step 2: the name was kept. (With Redis, a lock the
        # killed process still held is freed by its lease, so allow for that.)
        await citizen.send("Guru SD")
        question = await reply(citizen, "Langkah 2/9", timeout=40)
        code = await finish_report_after_position(citizen, question)
    finally:
        await stop(second)

    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        cases = (await session.exec(select(Case))).all()
    await engine.dispose()
    assert [(c.code, c.asn_name, c.asn_position) for c in cases] == [
        (code, "Budi Santoso", "Guru SD")
    ]
