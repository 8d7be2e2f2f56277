"""The playground running: one aiohttp server on 127.0.0.1:PORT serving both the Bot API
stand-in (which the bot polls, as it would api.telegram.org) and the web chat, and the bot
itself in this process, as `python -m bot` runs it."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

from aiohttp import web

from bot.config import Settings
from bot.listening import CannotListen
from bot.playground.cast import playground_chats, playground_settings
from bot.playground.transcript import PlaygroundTelegram
from bot.playground.web import playground_routes

HOST = "127.0.0.1"  # the playground is for the person at this machine only


async def serve_playground(settings: Settings, data_dir: Path) -> None:
    """Until cancelled. The settings are the operator's; the playground replaces what would
    reach real data or Telegram (bot/playground/cast.py)."""
    from bot.app import open_application
    from bot.jobs import start_jobs
    from bot.telegram.menus import publish_menus
    from bot.telegram.polling import poller_for

    stand_in = PlaygroundTelegram()
    app = web.Application(client_max_size=64 * 1024 * 1024)
    stand_in.install(app)
    playground_routes(app, stand_in, playground_chats(stand_in))
    # A page left open holds long polls; they end at once when stopping, so no need to wait.
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=2)
    await runner.setup()
    try:
        site = web.TCPSite(runner, HOST, settings.port)
        try:
            await site.start()
        except OSError as error:
            raise CannotListen(settings.port, error) from None
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        url = f"http://{HOST}:{port}"
        settings = playground_settings(settings, url, data_dir)
        async with open_application(settings) as application:
            await publish_menus(application)
            start_jobs(application)
            print(
                f"Playground ready: open {url} in a browser (Ctrl+C stops it).",
                flush=True,
            )
            polling = asyncio.ensure_future(poller_for(application).run())
            try:
                await polling
            finally:
                stand_in.release_waiters()
                polling.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await polling
    finally:
        stand_in.release_waiters()
        await runner.cleanup()
