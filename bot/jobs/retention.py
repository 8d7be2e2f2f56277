"""Retention kept by the bot itself: once a day, at PURGE_HOUR Western Indonesia Time, what
ties cases final for RETENTION_DAYS to their reporters is erased (services/retention.py),
as `lapor-netral purge` does on demand. An operator who never set up a cron job still keeps
the promise made to reporters. One instance a day does it, whichever claims the day."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.jobs.schedule import seconds_until_next
from bot.services.coordination import claim_job
from bot.services.dates import WIB
from bot.services.retention import ConversationsElsewhere, purge_reporters
from storage.conversations import SqlStorage
from storage.db import SessionFactory
from storage.models import utcnow

log = logging.getLogger(__name__)

# The quietest hour of the day for the reporters and staff of every zone.
PURGE_HOUR = 3


async def daily_purge(
    sessions: SessionFactory, storage: SqlStorage | ConversationsElsewhere, retention_days: int
) -> None:
    while True:
        await asyncio.sleep(seconds_until_next(PURGE_HOUR))
        try:
            await purge_today(sessions, storage, retention_days)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Nothing was erased in the database (one transaction): tomorrow's run finds the
            # same reporters.
            log.exception("retention purge failed")


async def purge_today(
    sessions: SessionFactory,
    storage: SqlStorage | ConversationsElsewhere,
    retention_days: int,
    now: datetime | None = None,
) -> int | None:
    """Purge unless another instance has today; how many reporters were erased, or None."""
    now = now or utcnow()
    day = now.astimezone(WIB).date().isoformat()
    if not await claim_job(sessions, "retention_purge", day):
        return None
    in_memory = storage if isinstance(storage, SqlStorage) else None
    erased = await purge_reporters(
        sessions,
        retention_days=retention_days,
        now=now,
        # Conversations kept in the database are erased with its rows; Redis's separately.
        conversations=None if isinstance(storage, SqlStorage) else storage,
    )
    if in_memory is not None:
        # The rows the purge erased may still be remembered: the next step of each
        # conversation reads its row again.
        in_memory.forget_cached()
    log.info("retention purge done", extra={"reporters": erased})
    return erased
