"""`lapor-netral purge`: a maintenance task; it needs the database, not Telegram."""

from __future__ import annotations

import asyncio

from bot.cli.startup import require_extras, require_writable
from bot.config import Settings


def purge(settings: Settings) -> int:
    require_extras(settings)
    require_writable(settings)
    from bot.cli.migration import Migration

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
    try:
        return await purge_reporters(
            create_session_factory(engine), retention_days=settings.retention_days
        )
    finally:
        await engine.dispose()
