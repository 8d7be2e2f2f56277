"""Webhook mode: the secret, acknowledgement after processing, idempotency, health, and
several instances behind a load balancer sharing PostgreSQL and Redis."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlmodel import col, select

from bot.app import open_application
from bot.config import Settings
from bot.jobs import start_jobs
from bot.services.coordination import UPDATE_LEASE, FinishedUpdates, claim_update
from bot.telegram.webhook import WebhookServer
from storage.db import create_engine, create_session_factory
from storage.migrate import upgrade_to_head_async
from storage.models import Case, ProcessedUpdate, utcnow
from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.bot import TEST_TOKEN
from tests.helpers.dialog import CODE, press, reply, say, text_of
from tests.helpers.reports import fill_report_until_evidence, finish_report_after_position

ROOT = Path(__file__).resolve().parent.parent
SECRET = "s3cret-token"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
async def webhook_url(
    settings_factory: Callable[..., Settings], telegram: FakeTelegram
) -> AsyncIterator[str]:
    """One in-process instance serving the webhook."""
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    settings = settings_factory(webhook_url=url, webhook_secret=SECRET, port=port)
    await upgrade_to_head_async(settings.database_url)
    async with open_application(settings) as application:
        start_jobs(application)
        runner = web.AppRunner(WebhookServer(application, application.redis).routes())
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        telegram.deliver_by_webhook([url], SECRET)
        try:
            yield url
        finally:
            await runner.cleanup()


async def test_requests_without_the_secret_are_refused(webhook_url: str) -> None:
    update = {
        "update_id": 1,
        "message": {
            "message_id": 1,
            "date": 0,
            "text": "/start",
            "chat": {"id": 5, "type": "private"},
        },
    }
    async with aiohttp.ClientSession() as client:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with client.post(webhook_url, json=update, headers=headers) as response:
                assert response.status == 401


async def test_forged_bodies_are_refused_with_400_not_500(webhook_url: str) -> None:
    """An update_id beyond any database integer, and JSON nested deeper than the parser
    goes, are the sender's fault: 400, and the instance answers on."""
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
    message = {"message_id": 1, "date": 0, "chat": {"id": 5, "type": "private"}, "text": "/a"}
    huge = json.dumps({"update_id": 2**70, "message": message})
    deep = '{"update_id": 3, "message": ' + "[" * 100_000 + "]" * 100_000 + "}"
    async with aiohttp.ClientSession() as client:
        for body in (huge, deep, '{"update_id": -1}'):
            async with client.post(webhook_url, data=body, headers=headers) as response:
                assert response.status == 400
        health = webhook_url.replace("/telegram", "/healthz")
        async with client.get(health) as response:
            assert response.status == 200


async def test_health_reports_database_and_redis(webhook_url: str) -> None:
    health = webhook_url.replace("/telegram", "/healthz")
    async with aiohttp.ClientSession() as client, client.get(health) as response:
        body = await response.json()
    assert response.status == 200
    assert body["database"] == "ok"
    assert body["redis"] == ("ok" if os.environ.get("TEST_REDIS_URL") else "not used")


def start_update(update_id: int, citizen: FakeUser, message_id: int) -> dict[str, Any]:
    """/start from the citizen, as Telegram posts it."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": 0,
            "text": "/start",
            "chat": citizen.chat,
            "from": citizen.user,
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def post_update(webhook_url: str, update: dict[str, Any]) -> None:
    async with aiohttp.ClientSession() as client:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        async with client.post(webhook_url, json=update, headers=headers) as response:
            assert response.status == 200


async def test_a_redelivered_update_is_handled_once(
    webhook_url: str, telegram: FakeTelegram, citizen: FakeUser, database_url: str
) -> None:
    """Answered 200 only once marked done: a redelivery is skipped, even one that comes
    after the claim's lease has run out."""
    await say(citizen, "/start", "Lapor Netral")
    for _ in range(100):  # the acknowledgement comes after the reply
        if telegram.webhook_deliveries:
            break
        await asyncio.sleep(0.02)
    update_id, _target, status = telegram.webhook_deliveries[-1]
    assert status == 200
    engine = create_engine(database_url)
    try:
        async with create_session_factory(engine)() as session, session.begin():
            long_ago = utcnow() - UPDATE_LEASE * 2
            record = await session.get(ProcessedUpdate, update_id)
            assert record is not None
            record.claimed_at = long_ago
    finally:
        await engine.dispose()
    await post_update(webhook_url, start_update(update_id, citizen, message_id=77))
    await citizen.quiet()


async def test_an_update_left_unfinished_is_taken_over_after_its_lease(
    webhook_url: str, database_url: str, citizen: FakeUser
) -> None:
    """An instance that died mid-update leaves its claim unfinished. Telegram's redelivery
    is handled by another instance only once that claim's lease has run out."""
    update_id = 9_000_001
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)

    async def claimed(ago: timedelta) -> None:
        async with sessions() as session, session.begin():
            await session.merge(
                ProcessedUpdate(update_id=update_id, claimed_at=utcnow() - ago, done=False)
            )

    update = start_update(update_id, citizen, message_id=78)
    try:
        await claimed(UPDATE_LEASE / 2)
        await post_update(webhook_url, update)
        await citizen.quiet()  # another instance may still be at work on it

        await claimed(UPDATE_LEASE + timedelta(seconds=5))
        await post_update(webhook_url, update)
        await citizen.expect_text("Lapor Netral")
    finally:
        await engine.dispose()


async def test_a_report_through_the_webhook(webhook_url: str, citizen: FakeUser) -> None:
    question = await fill_report_until_evidence(citizen)
    warning = await press(citizen, question, "Selesai")
    summary = await press(citizen, warning, "Lanjut tanpa bukti", "Ringkasan")
    assert CODE.search(text_of(await press(citizen, summary, "Kirim laporan")))


# --- several instances --------------------------------------------------------------------

needs_shared_backends = pytest.mark.skipif(
    not (os.environ.get("TEST_POSTGRES_URL") and os.environ.get("TEST_REDIS_URL")),
    reason="needs PostgreSQL and Redis (TEST_POSTGRES_URL, TEST_REDIS_URL)",
)


async def start_instance(
    telegram: FakeTelegram, settings: Settings, port: int
) -> asyncio.subprocess.Process:
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": TEST_TOKEN,
        "TELEGRAM_API_URL": telegram.url,
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url or "",
        "EVIDENCE_DIR": str(settings.evidence_dir),
        "WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram",
        "WEBHOOK_SECRET": SECRET,
        "PORT": str(port),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        env=environment,
        cwd=settings.evidence_dir.parent,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    async with aiohttp.ClientSession() as client:
        for _ in range(300):
            try:
                async with client.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return process
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    process.kill()
    raise AssertionError("instance did not start")


async def stop(process: asyncio.subprocess.Process, sig: int = signal.SIGTERM) -> None:
    if process.returncode is None:
        process.send_signal(sig)
    await asyncio.wait_for(process.wait(), timeout=20)


async def stored_cases(settings: Settings) -> list[Case]:
    engine = create_engine(settings.database_url)
    async with create_session_factory(engine)() as session:
        cases = list((await session.exec(select(Case))).all())
    await engine.dispose()
    return cases


@pytest.fixture
async def two_instances(
    telegram: FakeTelegram, settings_factory: Callable[..., Settings]
) -> AsyncIterator[tuple[Settings, list[asyncio.subprocess.Process]]]:
    settings = settings_factory()
    ports = [free_port(), free_port()]
    # Started together on an empty database: both migrate at once, one waits for the other.
    processes = list(await asyncio.gather(*(start_instance(telegram, settings, p) for p in ports)))
    telegram.deliver_by_webhook([f"http://127.0.0.1:{port}/telegram" for port in ports], SECRET)
    try:
        yield settings, processes
    finally:
        for process in processes:
            await stop(process)


@pytest.mark.slow
@needs_shared_backends
async def test_two_instances_share_one_conversation(
    two_instances: tuple[Settings, list[asyncio.subprocess.Process]],
    telegram: FakeTelegram,
    citizen: FakeUser,
) -> None:
    settings, _processes = two_instances
    question = await fill_report_until_evidence(citizen)
    warning = await press(citizen, question, "Selesai")
    summary = await press(citizen, warning, "Lanjut tanpa bukti", "Ringkasan")
    code = CODE.search(text_of(await press(citizen, summary, "Kirim laporan"))).group(0)

    targets = {target for _update, target, status in telegram.webhook_deliveries if status == 200}
    assert len(targets) == 2, "both instances handled parts of the conversation"
    assert [case.code for case in await stored_cases(settings)] == [code]
    texts = [text_of(m) for m in telegram.sent_to(citizen.chat_id) if m["_kind"] == "message"]
    steps = [int(m.group(1)) for t in texts if (m := re.search(r"Langkah (\d)/9", t))]
    assert steps[0] == 1 and steps[-1] == 9
    assert steps == sorted(steps), "the reporter's questions arrived in order"


@pytest.mark.slow
@needs_shared_backends
async def test_a_report_survives_one_instance_dying(
    two_instances: tuple[Settings, list[asyncio.subprocess.Process]],
    telegram: FakeTelegram,
    citizen: FakeUser,
) -> None:
    settings, processes = two_instances
    await citizen.send("/lapor")
    await reply(citizen, timeout=10)
    question = await reply(citizen, "Langkah 1/9")
    question = await press(citizen, question, "Anonim", "Langkah 2/9")
    await press(citizen, question, "ASN", "Langkah 2/9")
    await say(citizen, "Budi Santoso", "Langkah 2/9")
    await asyncio.sleep(0.5)
    await stop(processes[0], signal.SIGKILL)

    question = await say(citizen, "Guru SD", "Langkah 2/9")
    code = await finish_report_after_position(citizen, question)
    cases = await stored_cases(settings)
    assert [(case.code, case.asn_position) for case in cases] == [(code, "Guru SD")]


async def test_updates_finished_together_are_all_marked_done(database_url: str) -> None:
    """Webhook updates finishing at once share one statement; every one is marked."""
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    try:
        ids = list(range(7_000_000, 7_000_050))
        assert all([await claim_update(sessions, update_id) for update_id in ids])
        finished = FinishedUpdates(sessions)
        await asyncio.gather(*(finished.mark(update_id) for update_id in ids))
        async with sessions() as session:
            done = await session.exec(
                select(ProcessedUpdate.update_id).where(col(ProcessedUpdate.done).is_(True))
            )
            assert sorted(done.all()) == ids
    finally:
        await engine.dispose()
