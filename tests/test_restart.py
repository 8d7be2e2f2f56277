"""A report survives the bot process being stopped mid-way and started again."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest
from sqlmodel import select

from storage.db import create_engine, create_session_factory
from storage.models import Case
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.dialog import press, reply, say
from tests.helpers.processes import start_bot_process, stop
from tests.helpers.reports import finish_report_after_position

# Processes started, or real time waited out: left out of an everyday run (-m "not slow").
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


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
        await press(citizen, question, "ASN", "Langkah 2/9")
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
