"""The framework's ceiling: a bare aiogram echo bot on the same harness as the real bot.
`python -m bench.echo_bot` (BOT_TOKEN, TELEGRAM_API_URL).

It runs with what the bot runs with, so that the ratio between them measures the bot's own
work per update and nothing else (issue 16): the bot's HTTP session, retry middleware and
defaults (bot.telegram.client), the same JSON (aiogram's default) and event loop
(asyncio.run), its response types held as the bot holds its own
(bot/telegram/response_types.py), and its start-up heap frozen as the bot's is
(bot/cli/run.py). It polls with aiogram's own loop: claiming updates against redelivery is
part of the bot's work. Nothing else of ours is imported, so its resident size stays the
framework's floor (bench/memory.py)."""

from __future__ import annotations

import asyncio
import gc
import os
from typing import Any

from aiogram import Bot, Dispatcher, methods
from aiogram.methods import Response, TelegramMethod
from aiogram.types import Message

from bot.telegram.client import BOT_DEFAULTS, client_session

_USED = (methods.GetMe, methods.GetUpdates, methods.DeleteWebhook, methods.SendMessage)


async def poll_as_the_bot(
    dispatcher: Dispatcher, used: tuple[type[TelegramMethod[Any]], ...]
) -> None:
    """Poll with the bot's session, defaults and frozen start-up heap, the response types of
    `used` held as the bot holds its own: what every stand-in here shares with the bot."""
    held = [Response[method.__returning__] for method in used]  # noqa: F841 (kept alive)
    bot = Bot(
        token=os.environ["BOT_TOKEN"],
        session=client_session(os.environ["TELEGRAM_API_URL"]),
        default=BOT_DEFAULTS,
    )
    gc.collect()
    gc.freeze()
    await dispatcher.start_polling(bot, handle_signals=True)


async def main() -> None:
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    await poll_as_the_bot(dispatcher, _USED)


if __name__ == "__main__":
    asyncio.run(main())
