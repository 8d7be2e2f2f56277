"""The bot under test, in this process: as `python -m bot` runs it, polling the fake Bot
API server."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator

from bot.app import Application, open_application
from bot.config import Settings
from bot.jobs import start_jobs
from bot.telegram.menus import publish_menus
from bot.telegram.polling import poller_for
from storage.migrate import upgrade_to_head_async

TEST_TOKEN = "123456:TEST-TOKEN"


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
        await publish_menus(application)
        start_jobs(application)
        polling = asyncio.create_task(poller_for(application, polling_timeout=1).run())
        try:
            yield application
        finally:
            watchdog = asyncio.create_task(_report_if_stuck(after=20))
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(polling, timeout=20)
    watchdog.cancel()
