"""Shared fixtures: a fake Telegram Bot API server over HTTP, and the real bot polling it."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from bot.app import Application
from bot.config import Settings
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.bot import TEST_TOKEN, running_bot
from tests.helpers.browser import headless_chromium
from tests.helpers.staff import ADMIN, OFFICER, STAFF_CHAT


def pytest_configure(config: pytest.Config) -> None:
    """With pytest-xdist (-n) each worker has a Redis database of its own, since a test
    empties its database before it starts (redis_url) and the benchmark's smoke test does too."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")  # gw0, gw1, ...
    url = os.environ.get("TEST_REDIS_URL")
    if worker and url:
        database = 1 + int(worker.removeprefix("gw"))
        if database > 15:
            raise pytest.UsageError("Redis has 16 databases: run at most -n 15 with TEST_REDIS_URL")
        os.environ["TEST_REDIS_URL"] = urlsplit(url)._replace(path=f"/{database}").geturl()


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
            # A test walks through a report faster than any person: the flood guard would
            # take it for a script. Its own tests (test_hostile.py) set their limit.
            "flood_updates": 10_000,
            "_env_file": None,
        }
        values.update(overrides)
        return Settings(**values)

    return make


@pytest.fixture
async def app(settings_factory: Callable[..., Settings]) -> AsyncIterator[Application]:
    async with running_bot(settings_factory()) as application:
        yield application


@pytest.fixture
def citizen(telegram: FakeTelegram) -> FakeUser:
    return FakeUser(telegram, user_id=5_550_001, first_name="Sari", language_code="id")


@pytest.fixture
async def stoppable_postgres() -> AsyncIterator[tuple[str, Callable[[str], Awaitable[None]]]]:
    """A database on a PostgreSQL cluster of its own (TEST_POSTGRES_FAULT_CLUSTER, e.g.
    "15 faults", reached at TEST_POSTGRES_FAULT_URL), which the test may stop and start
    without disturbing the server the other tests use."""
    cluster = os.environ.get("TEST_POSTGRES_FAULT_CLUSTER")
    server = os.environ.get("TEST_POSTGRES_FAULT_URL")
    if not cluster or not server:
        pytest.skip("needs a PostgreSQL cluster to stop (TEST_POSTGRES_FAULT_CLUSTER)")
    version, name = cluster.split()
    with _only_test_on(cluster):
        async for database in _stoppable_database(version, name, server):
            yield database


@contextlib.contextmanager
def _only_test_on(cluster: str) -> Iterator[None]:
    """One test at a time stops and starts the fault cluster, whichever worker it runs on."""
    path = Path(tempfile.gettempdir()) / f"lapor-test-cluster-{cluster.replace(' ', '-')}.lock"
    with open(path, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


async def _stoppable_database(
    version: str, name: str, server: str
) -> AsyncIterator[tuple[str, Callable[[str], Awaitable[None]]]]:
    import asyncpg
    from sqlalchemy.engine import make_url

    async def control(action: str) -> None:
        extra = ["-m", "fast"] if action == "stop" else []
        process = await asyncio.create_subprocess_exec(
            "pg_ctlcluster", version, name, action, *extra
        )
        assert await process.wait() == 0, f"pg_ctlcluster {action} failed"

    async def ensure_running() -> None:
        process = await asyncio.create_subprocess_exec("pg_ctlcluster", version, name, "status")
        if await process.wait() != 0:
            await control("start")

    url = make_url(server)
    plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
    database = f"lapor_faults_{os.getpid()}"
    connection = await asyncpg.connect(plain)
    await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    await connection.execute(f'CREATE DATABASE "{database}"')
    await connection.close()
    try:
        yield url.set(database=database).render_as_string(hide_password=False), control
    finally:
        await ensure_running()  # whatever happened, leave it running
        connection = await asyncpg.connect(plain)
        await connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await connection.close()


@pytest.fixture
async def desk_app(settings_factory: Callable[..., Settings]) -> AsyncIterator[Application]:
    """The bot with a staff group and one admin from ADMIN_IDS (tests/helpers/staff.py)."""
    settings = settings_factory(admin_ids=frozenset({ADMIN}), staff_chat_id=STAFF_CHAT)
    async with running_bot(settings) as application:
        yield application


@pytest.fixture
def admin(telegram: FakeTelegram) -> FakeUser:
    """The admin, in a private chat with the bot."""
    return FakeUser(telegram, user_id=ADMIN, first_name="Admin", language_code="id")


@pytest.fixture
def officer(telegram: FakeTelegram) -> FakeUser:
    """An officer (once an admin has added them: helpers.staff.make_officer), privately."""
    return FakeUser(telegram, user_id=OFFICER, first_name="Petugas", language_code="id")


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """Headless Chromium from Debian's package, driven by Playwright (tests/helpers/browser.py)."""
    async with headless_chromium() as chromium:
        yield chromium
