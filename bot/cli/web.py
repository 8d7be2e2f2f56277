"""`lapor-netral web`: the public site (bot/web) on PORT, from the database the bot writes.
No token needed: it never speaks to Telegram. Several may run side by side on PostgreSQL
(and Redis for the status look-up's shared limit)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from aiohttp import web

from bot.cli.signals import until_signalled
from bot.cli.startup import cannot_listen, require_extras, require_free_port, require_redis
from bot.config import Settings

log = logging.getLogger("bot")


def web_site(settings: Settings) -> int:
    require_extras(settings)
    require_free_port(settings.port)  # before migrating; the site's bind says it too
    if settings.redis_url:  # the status look-up's limit is kept there
        asyncio.run(require_redis(settings.redis_url))
    from bot.cli.migration import Migration

    # The schema the site reads is the bot's newest: a site started before the bot on a
    # fresh database still finds its tables.
    if status := Migration(settings.database_url).wait():
        return status
    with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
        asyncio.run(until_signalled(serve_site(settings)))
    return 0


async def serve_site(settings: Settings, host: str = "0.0.0.0") -> None:
    from bot.web.app import open_site

    async with open_site(settings) as app:
        runner = web.AppRunner(app, handle_signals=False, access_log=None)
        await runner.setup()
        try:
            site = web.TCPSite(runner, host, settings.port)
            try:
                await site.start()
            except OSError as error:
                raise cannot_listen(settings.port, error) from None
            log.info("web site serving", extra={"port": settings.port})
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()
