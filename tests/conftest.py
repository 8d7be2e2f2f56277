"""Shared fixtures: a fake Telegram Bot API server over HTTP, and the real bot polling it."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.app import Application, open_application, start_background
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
def database_url(tmp_path: Path) -> str:
    """SQLite file per test by default; TEST_DATABASE_URL points the suite at PostgreSQL."""
    return os.environ.get("TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{tmp_path / 'lapor.db'}"


@pytest.fixture
def settings_factory(
    tmp_path: Path, telegram: FakeTelegram, database_url: str
) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "bot_token": TEST_TOKEN,
            "telegram_api_url": telegram.url,
            "database_url": database_url,
            "evidence_dir": tmp_path / "evidence",
            "_env_file": None,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@contextlib.asynccontextmanager
async def running_bot(settings: Settings) -> AsyncIterator[Application]:
    """The bot as `python -m bot` runs it: migrated database, polling the fake server."""
    await upgrade_to_head_async(settings.database_url)
    async with open_application(settings) as application:
        start_background(application)
        polling = asyncio.create_task(
            application.dispatcher.start_polling(
                application.bot, handle_signals=False, close_bot_session=False, polling_timeout=1
            )
        )
        try:
            yield application
        finally:
            await application.dispatcher.stop_polling()
            await asyncio.wait_for(polling, timeout=10)


@pytest.fixture
async def app(settings_factory: Callable[..., Settings]) -> AsyncIterator[Application]:
    async with running_bot(settings_factory()) as application:
        yield application


@pytest.fixture
def citizen(telegram: FakeTelegram) -> FakeUser:
    return FakeUser(telegram, user_id=5_550_001, first_name="Sari", language_code="id")
