"""`lapor-netral run`: migrate, reach Telegram, then poll (or serve the webhook) until a
signal stops it."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import importlib
import logging
from typing import TYPE_CHECKING

from bot.cli.signals import until_signalled
from bot.cli.startup import (
    cannot_listen,
    require_evidence_store,
    require_extras,
    require_redis,
    require_token,
    require_webhook,
    require_writable,
    sole_instance,
    telegram_refusal,
)
from bot.config import Settings
from bot.logs import describe_error

# aiogram (and aiohttp with it) is imported only once the checks above have passed, beside
# the migration: building its pydantic types takes 2-3 s that a bad start need not wait.
if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.types import User

log = logging.getLogger("bot")

# Telegram not reachable at start: tried again after 1, 2, 4 ... seconds, at most this.
REACH_RETRY_CAP = 60.0


def run(settings: Settings) -> int:
    require_token(settings)
    require_extras(settings)
    require_writable(settings)
    require_webhook(settings)
    if settings.redis_url:
        asyncio.run(require_redis(settings.redis_url))
    if settings.evidence_url:
        asyncio.run(require_evidence_store(settings))
    with sole_instance(settings):
        from bot.cli.migration import Migration

        migration = Migration(settings.database_url)  # in a child, beside our own imports
        try:
            importlib.import_module("bot.app")  # the slow imports, while the child migrates
        except BaseException:
            migration.abandon()
            raise
        if status := migration.wait():
            return status
        with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
            asyncio.run(until_signalled(serve(settings)))
    return 0


async def serve(settings: Settings) -> None:
    """Polling by default; a webhook server when WEBHOOK_URL is set."""
    from bot.app import open_application
    from bot.jobs import start_jobs
    from bot.telegram.menus import publish_menus
    from bot.telegram.polling import poller_for

    async with open_application(settings) as application:
        me = await reach_telegram(application.bot, settings.telegram_api_url)
        log.info("bot started", extra={"bot": me.username})
        await publish_menus(application)
        start_jobs(application)
        freeze_startup_objects()
        if settings.webhook_url:
            from bot.listening import CannotListen
            from bot.telegram.webhook import serve_webhook

            try:
                await serve_webhook(application, application.redis)
            except CannotListen as refused:
                raise cannot_listen(refused.port, refused.error) from None
            return
        log.info("bot polling", extra={"api": settings.telegram_api_url})
        await application.bot.delete_webhook()
        await poller_for(application).run()


async def reach_telegram(bot: Bot, api_url: str) -> User:
    """getMe, until it answers. A refused token or a wrong address cannot get better by
    waiting (StartupError); no network can, so it is tried again with backoff and logged,
    as polling does later."""
    import aiohttp
    from aiogram.exceptions import (
        ClientDecodeError,
        TelegramNetworkError,
        TelegramNotFound,
        TelegramServerError,
        TelegramUnauthorizedError,
    )

    delay = 1.0
    while True:
        try:
            return await bot.get_me()
        except (TelegramUnauthorizedError, TelegramNotFound) as error:
            raise telegram_refusal(error, api_url) or error from None
        except (
            TelegramNetworkError,
            TelegramServerError,
            # Not JSON: some other server, or a proxy's error page in front of the right one,
            # which may pass (the log's error says which it answered).
            ClientDecodeError,
            aiohttp.ClientError,
            OSError,
            TimeoutError,
        ) as error:
            # aiohttp quotes the address it could not use, and the token is part of it; the
            # log's scrubber would miss an unusual token, so it is taken out here by value.
            reason = describe_error(error).replace(bot.token, "[token]")
            said = (
                "TELEGRAM_API_URL answered, but not as a Bot API server does; trying again"
                if isinstance(error, ClientDecodeError)
                else "Telegram not reachable at start; trying again"
            )
            log.warning(said, extra={"api": api_url, "retry_in": delay, "error": reason})
            await asyncio.sleep(delay)
            delay = min(REACH_RETRY_CAP, delay * 2)


def freeze_startup_objects() -> None:
    """Exempt everything built so far (modules, aiogram's and pydantic's types, the
    dispatcher, the ORM's mappers: hundreds of thousands of objects that live as long as
    the process) from the garbage collector's full collections.

    Each full collection walks every tracked object, and the event loop stops while it
    does: with the start-up objects included that was 160-220 ms every 20 s at 64 updates
    a second, a stall that every update under way waited out (the intake benchmark's p99
    at half rate). Frozen objects are still freed by reference counting; only cycles among
    them would stay, and start-up objects are kept anyway."""
    gc.collect()  # what start-up left as garbage goes now rather than being kept forever
    gc.freeze()
