"""`python -m bot`: migrate the database, then run the bot (polling by default)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Coroutine
from typing import Any

from pydantic import ValidationError

from bot.config import Settings
from bot.logs import configure_logging

log = logging.getLogger("bot")


def main() -> int:
    configure_logging()
    try:
        settings = Settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors()
        )
        print(f"Configuration error: {problems}", file=sys.stderr)
        return 2
    command = sys.argv[1:]
    if command not in ([], ["purge"]):
        print("Usage: python -m bot [purge]", file=sys.stderr)
        return 2
    from bot.migration import Migration

    if command == ["purge"]:  # a maintenance task: needs the database, not Telegram
        if status := Migration(settings.database_url).wait():
            return status
        erased = asyncio.run(_purge(settings))
        print(
            f"Erased the identity and chat of {erased} reporter(s) of cases closed more "
            f"than {settings.retention_days} days ago."
        )
        return 0
    if not settings.bot_token:
        print(
            "BOT_TOKEN is not set: create a bot with @BotFather in Telegram, then put "
            "BOT_TOKEN=<token> in .env (see .env.example).",
            file=sys.stderr,
        )
        return 2

    migration = Migration(settings.database_url)
    from bot.app import run

    if status := migration.wait():
        return status
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(_until_signalled(run(settings)))
    return 0


async def _purge(settings: Settings) -> int:
    from bot.services.retention import purge_reporters
    from storage.db import create_engine, create_session_factory

    engine = create_engine(settings.database_url)
    try:
        return await purge_reporters(
            create_session_factory(engine), retention_days=settings.retention_days
        )
    finally:
        await engine.dispose()


async def _until_signalled(main: Coroutine[Any, Any, None]) -> None:
    """Run `main`; SIGTERM or SIGINT cancel it, so everything is closed on the way out."""
    task = asyncio.ensure_future(main)
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, task.cancel)
    await task


if __name__ == "__main__":
    sys.exit(main())
