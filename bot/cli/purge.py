"""`lapor-netral purge`: a maintenance task; it needs the database (and Redis where conversations
are kept there), not Telegram."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from bot.cli.startup import require_extras, require_redis, require_writable, sole_instance
from bot.config import Settings

# A bot on the same SQLite file keeps conversations in memory, where a purge by another
# process cannot reach them: it would go on treating a purged reporter as answering the case.
BOT_RUNNING = (
    "The bot is running on {path} and purges by itself every day at 03:00 WIB: stop it to "
    "purge now. Nothing was erased."
)

if TYPE_CHECKING:
    from storage.redis_state import TrackedRedisStorage


def purge(settings: Settings) -> int:
    require_extras(settings)
    require_writable(settings)
    from bot.cli.migration import Migration

    with sole_instance(settings, refusal=BOT_RUNNING):
        if status := Migration(settings.database_url).wait():
            return status
        erased = asyncio.run(_purge(settings))
    print(
        f"Erased the identity and chat of {erased} reporter(s) of cases closed more "
        f"than {settings.retention_days} days ago."
    )
    from bot.services.download_links import download_links
    from storage.models import utcnow

    links = download_links(settings.public_url, settings.download_link_secret, settings.export_dir)
    if links is not None:
        removed = links.sweep(utcnow())
        print(f"Removed {removed} export file(s) whose download links had expired.")
    return 0


async def _purge(settings: Settings) -> int:
    from bot.services.retention import purge_reporters
    from storage.db import create_engine, create_session_factory

    engine = create_engine(settings.database_url)
    # Where conversations live in Redis, one still naming a case is erased there too.
    conversations = await _redis_conversations(settings.redis_url) if settings.redis_url else None
    try:
        return await purge_reporters(
            create_session_factory(engine),
            retention_days=settings.retention_days,
            conversations=conversations,
        )
    finally:
        if conversations is not None:
            await conversations.redis.aclose()
        await engine.dispose()


async def _redis_conversations(url: str) -> TrackedRedisStorage:
    from redis.asyncio import Redis

    from storage.redis_state import TrackedRedisStorage

    await require_redis(url, then=", then run purge again. Nothing was erased")
    return TrackedRedisStorage(Redis.from_url(url))
