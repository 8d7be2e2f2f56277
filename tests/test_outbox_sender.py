"""The outbox sender against the fake Bot API: exactly once, in order, within the limits,
through 429s, 5xx, dropped connections, blocked users and restarts."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlmodel import select

from bot.delivery import OutboxSender, RenderedMessage
from bot.services import outbox
from storage.db import SessionFactory, create_engine, create_session_factory
from storage.migrate import upgrade_to_head_async
from storage.models import Outbox, utcnow
from tests.fakebot import FakeTelegram
from tests.fakebot.limits import TelegramLimits


def render(row: Outbox) -> RenderedMessage:
    return RenderedMessage(f"{row.kind} {row.params['n']}")


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionFactory]:
    await upgrade_to_head_async(database_url)
    engine = create_engine(database_url)
    yield create_session_factory(engine)
    await engine.dispose()


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    bot = Bot("123456:TEST", session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.url)))
    yield bot
    await bot.session.close()


async def enqueue(sessions: SessionFactory, chats: int, per_chat: int) -> None:
    async with sessions() as session:
        for n in range(per_chat):
            for chat in range(chats):
                outbox.enqueue(
                    session, chat_id=1000 + chat, kind="note", params={"n": n}, locale="id"
                )
        await session.commit()


async def deliver_all(sender: OutboxSender, sessions: SessionFactory, timeout: float = 20) -> None:
    task = asyncio.create_task(sender.run())
    try:
        async with asyncio.timeout(timeout):
            while await outbox.pending_count(sessions):  # noqa: ASYNC110 (polling the database)
                await asyncio.sleep(0.05)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def delivered(telegram: FakeTelegram) -> dict[int, list[str]]:
    per_chat: dict[int, list[str]] = defaultdict(list)
    for call in telegram.calls:
        if call.method == "sendmessage" and call.ok:
            per_chat[int(call.params["chat_id"])].append(call.params["text"])
    return per_chat


def assert_within_limits(telegram: FakeTelegram, rate: float) -> None:
    sends = [c for c in telegram.calls if c.method == "sendmessage"]
    times = [c.at for c in sends]
    for index, start in enumerate(times):
        in_window = sum(1 for t in times[index:] if t - start < 1.0)
        assert in_window <= rate, f"{in_window} sends within one second"
    last_per_chat: dict[str, float] = {}
    for call in sends:
        chat = call.params["chat_id"]
        if chat in last_per_chat:
            assert call.at - last_per_chat[chat] >= 1.0, "two sends to one chat within 1 s"
        last_per_chat[chat] = call.at


async def test_every_row_once_in_order_per_chat(
    telegram: FakeTelegram, bot: Bot, sessions: SessionFactory
) -> None:
    await enqueue(sessions, chats=20, per_chat=3)
    telegram.limits = TelegramLimits()
    await deliver_all(OutboxSender(bot, sessions, render), sessions)
    per_chat = delivered(telegram)
    assert len(per_chat) == 20
    for texts in per_chat.values():
        assert texts == ["note 0", "note 1", "note 2"]
    assert_within_limits(telegram, 30)
    assert telegram.limits.refused == 0


async def test_faults_are_retried_without_duplicates_or_reordering(
    telegram: FakeTelegram, bot: Bot, sessions: SessionFactory
) -> None:
    await enqueue(sessions, chats=12, per_chat=3)
    telegram.fail_next("sendMessage", 429, count=2, retry_after=1)
    telegram.fail_next("sendMessage", 500, count=2)
    telegram.fail_next("sendMessage", 502, count=1)
    telegram.drop_next("sendMessage", count=1)
    sender = OutboxSender(bot, sessions, render, max_backoff=1.0)
    await deliver_all(sender, sessions, timeout=30)
    per_chat = delivered(telegram)
    assert len(per_chat) == 12
    for texts in per_chat.values():
        assert texts == ["note 0", "note 1", "note 2"]
    failures = [c for c in telegram.calls if c.method == "sendmessage" and not c.ok]
    assert len(failures) == 6, "every injected fault was met once, and then retried"
    assert_within_limits(telegram, 30)


async def test_a_429_pauses_all_sending_for_retry_after(
    telegram: FakeTelegram, bot: Bot, sessions: SessionFactory
) -> None:
    await enqueue(sessions, chats=5, per_chat=1)
    telegram.fail_next("sendMessage", 429, count=1, retry_after=2)
    await deliver_all(OutboxSender(bot, sessions, render), sessions)
    sends = [c for c in telegram.calls if c.method == "sendmessage"]
    refused_at = sends[0].at
    assert all(c.at - refused_at >= 1.9 for c in sends[1:]), "nothing sent during the pause"


async def test_blocked_chat_fails_for_good_and_others_go_on(
    telegram: FakeTelegram, bot: Bot, sessions: SessionFactory
) -> None:
    await enqueue(sessions, chats=3, per_chat=1)
    telegram.blocked_chats.add(1001)
    await deliver_all(OutboxSender(bot, sessions, render), sessions)
    async with sessions() as session:
        rows = {row.chat_id: row for row in (await session.exec(select(Outbox))).all()}
    assert rows[1001].status == "failed" and "blocked" in (rows[1001].last_error or "")
    assert rows[1000].status == rows[1002].status == "sent"
    assert set(delivered(telegram)) == {1000, 1002}


async def test_rows_pending_at_shutdown_are_delivered_after_restart(
    telegram: FakeTelegram, bot: Bot, sessions: SessionFactory
) -> None:
    await enqueue(sessions, chats=4, per_chat=2)
    first = asyncio.create_task(OutboxSender(bot, sessions, render).run())
    await asyncio.sleep(0)
    first.cancel()  # stopped before it could send anything
    await asyncio.gather(first, return_exceptions=True)
    assert await outbox.pending_count(sessions) == 8
    await deliver_all(OutboxSender(bot, sessions, render), sessions)
    assert sum(len(texts) for texts in delivered(telegram).values()) == 8


async def test_a_claim_left_by_a_dead_sender_expires(
    telegram: FakeTelegram, bot: Bot, sessions: SessionFactory
) -> None:
    await enqueue(sessions, chats=1, per_chat=1)
    claimed = await outbox.claim_due(sessions, limit=10)
    assert len(claimed) == 1
    assert await outbox.claim_due(sessions, limit=10) == [], "claimed rows are not handed out twice"
    async with sessions() as session:
        row = await session.get(Outbox, claimed[0].id)
        row.claimed_until = utcnow() - timedelta(seconds=1)  # its sender died
        session.add(row)
        await session.commit()
    await deliver_all(OutboxSender(bot, sessions, render), sessions)
    assert delivered(telegram)[1000] == ["note 0"]


async def test_a_database_outage_is_logged_once_then_retried_spaced_out(
    telegram: FakeTelegram, bot: Bot, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    # A database without its tables: every claim fails, as when it is down or restoring.
    engine = create_engine(database_url)
    sessions = create_session_factory(engine)
    caplog.set_level(logging.INFO, logger="bot.delivery")
    task = asyncio.create_task(OutboxSender(bot, sessions, render).run())
    try:
        await asyncio.sleep(3.5)
        failures = [r for r in caplog.records if r.getMessage().startswith("outbox claim")]
        assert [r.levelno for r in failures[:1]] == [logging.ERROR] and failures[0].exc_info
        again = failures[1:]
        # Retried after about 1, 2, 4 … s: two or three more, not one every half second.
        assert 1 <= len(again) <= 3, [r.getMessage() for r in failures]
        assert all(r.levelno == logging.WARNING and not r.exc_info for r in again)
        # The database is back: what was queued meanwhile goes out within the retry cap.
        await upgrade_to_head_async(database_url)
        await enqueue(sessions, chats=2, per_chat=1)
        async with asyncio.timeout(10):
            while await outbox.pending_count(sessions):  # noqa: ASYNC110 (polling the database)
                await asyncio.sleep(0.1)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await engine.dispose()
    assert set(delivered(telegram)) == {1000, 1001}
    assert any(r.getMessage() == "outbox claims work again" for r in caplog.records)


async def busy_event_loop() -> None:
    """Now and then hold the event loop for up to 80 ms, as a slow callback or a garbage
    collection would: timers fire late, answers are read late."""
    rng = random.Random(7)
    while True:
        await asyncio.sleep(rng.uniform(0.01, 0.2))
        time.sleep(rng.uniform(0.005, 0.08))  # noqa: ASYNC251 (blocking on purpose)


@pytest.mark.skipif(not os.environ.get("TEST_REDIS_URL"), reason="needs Redis (TEST_REDIS_URL)")
async def test_two_senders_keep_the_limits_together(
    telegram: FakeTelegram, bot: Bot, sessions: SessionFactory, redis_url: str
) -> None:
    from redis.asyncio import Redis

    from storage.redis_state import RedisSendSlots

    await enqueue(sessions, chats=25, per_chat=2)
    telegram.limits = TelegramLimits()
    redis = Redis.from_url(redis_url)
    # Keys of their own: other tests may be using Redis at the same time.
    prefix = f"test:send:{uuid.uuid4().hex[:8]}"
    senders = [
        OutboxSender(
            bot, sessions, render, shared_slots=RedisSendSlots(redis, 30, 1.0, prefix=prefix)
        )
        for _ in range(2)
    ]
    tasks = [asyncio.create_task(sender.run()) for sender in senders]
    tasks.append(asyncio.create_task(busy_event_loop()))
    try:
        async with asyncio.timeout(20):
            while await outbox.pending_count(sessions):  # noqa: ASYNC110 (polling the database)
                await asyncio.sleep(0.05)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await redis.aclose()
    per_chat = delivered(telegram)
    assert len(per_chat) == 25 and all(t == ["note 0", "note 1"] for t in per_chat.values())
    assert_within_limits(telegram, 30)
    assert telegram.limits.refused == 0, telegram.limits.refusals
