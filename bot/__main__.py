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
    if not settings.bot_token:
        print(
            "BOT_TOKEN is not set: create a bot with @BotFather in Telegram, then put "
            "BOT_TOKEN=<token> in .env (see .env.example).",
            file=sys.stderr,
        )
        return 2

    from bot.app import run
    from storage.migrate import upgrade_to_head

    upgrade_to_head(settings.database_url)
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(_until_signalled(run(settings)))
    return 0


async def _until_signalled(main: Coroutine[Any, Any, None]) -> None:
    """Run `main`; SIGTERM or SIGINT cancel it, so everything is closed on the way out."""
    task = asyncio.ensure_future(main)
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, task.cancel)
    await task


if __name__ == "__main__":
    sys.exit(main())
