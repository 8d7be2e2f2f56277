"""Stopping a long-running command cleanly, shared by the bot, the site and the playground.
Nothing here imports aiogram: the site's process never loads it."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine
from typing import Any


async def until_signalled(main: Coroutine[Any, Any, None]) -> None:
    """Run `main`; SIGTERM or SIGINT cancel it, so everything is closed on the way out.
    A StartupError raised inside (Telegram refused the token, the port is taken) ends the
    process with its message, through bot/cli."""
    task = asyncio.ensure_future(main)
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, task.cancel)
    await task
