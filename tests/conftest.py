"""Shared fixtures: a fake Telegram Bot API server over HTTP, and the real bot polling it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import Application, open_application, poller, start_background
from bot.config import Settings
from storage.migrate import upgrade_to_head_async
from tests.fakebot import FakeTelegram, FakeUser

TEST_TOKEN = "123456:TEST-TOKEN"


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    server = FakeTelegram()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
async def database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A fresh SQLite file per test by default. With TEST_POSTGRES_URL (a PostgreSQL server
    URL whose user may create databases) each test gets a fresh PostgreSQL database."""
    server = os.environ.get("TEST_POSTGRES_URL")
    if not server:
        yield f"sqlite+aiosqlite:///{tmp_path / 'lapor.db'}"
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    admin_url = make_url(server)
    name = f"lapor_test_{uuid.uuid4().hex[:12]}"
    plain = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    connection = await asyncpg.connect(plain)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture
async def redis_url() -> AsyncIterator[str | None]:
    """None by default; with TEST_REDIS_URL the bot keeps state and limits in Redis, emptied
    before each test."""
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        from redis.asyncio import Redis

        client = Redis.from_url(url)
        await client.flushdb()
        await client.aclose()
    yield url


@pytest.fixture
def settings_factory(
    tmp_path: Path, telegram: FakeTelegram, database_url: str, redis_url: str | None
) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "bot_token": TEST_TOKEN,
            "telegram_api_url": telegram.url,
            "database_url": database_url,
            "redis_url": redis_url,
            "evidence_dir": tmp_path / "evidence",
            "_env_file": None,
        }
        values.update(overrides)
        return Settings(**values)

    return make


async def _report_if_stuck(after: float) -> None:
    """A bot that takes this long to stop is stuck: show where each task is waiting."""
    await asyncio.sleep(after)
    for task in asyncio.all_tasks():
        print(f"still running at shutdown: {task!r}", file=sys.stderr)
        task.print_stack(file=sys.stderr)


@contextlib.asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[Application]:
    """The bot as `python -m bot` runs it: migrated database, polling the fake server."""
    await upgrade_to_head_async(settings.database_url)
    async with open_application(settings) as application:
        start_background(application)
        polling = asyncio.create_task(poller(application, polling_timeout=1).run())
        try:
            yield application
        finally:
            watchdog = asyncio.create_task(_report_if_stuck(after=20))
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(polling, timeout=20)
    watchdog.cancel()


@pytest.fixture
async def app(settings_factory: Callable[..., Settings]) -> AsyncIterator[Application]:
    async with running_bot(settings_factory()) as application:
        yield application


@pytest.fixture
def citizen(telegram: FakeTelegram) -> FakeUser:
    return FakeUser(telegram, user_id=5_550_001, first_name="Sari", language_code="id")
