"""The fake Bot API's opt-in flood limits: 30 messages in any second, one a second per chat,
20 a minute per group, and 429 with an integer retry_after beyond them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter

from tests.fakebot import FakeTelegram
from tests.fakebot.limits import TelegramLimits


@pytest.fixture
async def bot(telegram: FakeTelegram) -> AsyncIterator[Bot]:
    bot = Bot("123456:TEST", session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.url)))
    yield bot
    await bot.session.close()


def test_thirty_a_second_overall_in_a_sliding_window() -> None:
    limits = TelegramLimits()
    for n in range(30):
        assert limits.admit(1000 + n, 10.0 + n * 0.01) is None
    assert limits.admit(2000, 10.5) == 1
    assert limits.admit(2000, 10.999) == 1, "the first send is still within the second"
    assert limits.admit(2000, 11.0) is None, "exactly one second later it has left"
    assert limits.admit(2001, 11.005) == 1, "the second one has not"
    assert limits.admit(2001, 11.02) is None
    assert [r.reason for r in limits.refusals] == ["global"] * 3
    assert limits.refused == 3


def test_one_a_second_per_chat() -> None:
    limits = TelegramLimits()
    assert limits.admit(5, 0.0) is None
    assert limits.admit(5, 0.999) == 1
    assert limits.admit(6, 0.999) is None, "other chats are not held back"
    assert limits.admit(5, 1.0) is None
    assert [r.reason for r in limits.refusals] == ["chat"]


def test_twenty_a_minute_per_group_and_retry_after_in_whole_seconds() -> None:
    limits = TelegramLimits()
    group = -100123
    for n in range(20):
        assert limits.admit(group, n * 1.0) is None
    # The 21st within the minute waits until the first leaves it, rounded up.
    assert limits.admit(group, 20.0) == 40
    assert limits.admit(group, 59.5) == 1
    assert limits.admit(group, 60.0) is None
    assert limits.admit(777, 60.0) is None, "private chats have no minute limit"
    assert [r.reason for r in limits.refusals] == ["group", "group"]


def test_a_media_group_counts_each_message() -> None:
    limits = TelegramLimits()
    for n in range(25):
        assert limits.admit(n + 1, 0.0) is None
    assert limits.admit(99, 0.1, messages=10) == 1
    assert limits.admit(99, 0.1, messages=5) is None


async def test_the_server_answers_429_with_retry_after_once_limits_are_on(
    telegram: FakeTelegram, bot: Bot
) -> None:
    telegram.limits = TelegramLimits()
    results = await asyncio.gather(
        *(bot.send_message(3000 + n, f"n{n}") for n in range(31)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(refused) == 1
    assert isinstance(refused[0], TelegramRetryAfter) and refused[0].retry_after == 1
    assert telegram.limits.refused == 1
    with pytest.raises(TelegramRetryAfter):
        await bot.send_message(3000, "again within the second")
    sent = [c for c in telegram.calls if c.method == "sendmessage"]
    assert sum(c.ok for c in sent) == 30 and len(sent) == 32
    await asyncio.sleep(1.0)
    await bot.send_message(3000, "a second later")


async def test_limits_are_off_by_default(telegram: FakeTelegram, bot: Bot) -> None:
    await asyncio.gather(*(bot.send_message(4000, f"n{n}") for n in range(40)))
    assert all(c.ok for c in telegram.calls)
