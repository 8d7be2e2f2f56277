"""Retention kept by the bot itself: once a day, at PURGE_HOUR Western Indonesia Time, what
ties cases final for RETENTION_DAYS to their reporters is erased (services/retention.py),
as `lapor-netral purge` does on demand. An operator who never set up a cron job still keeps
the promise made to reporters. One instance a day does it, whichever claims the day.

Exports handed over as download links are removed once their links have expired (by every
instance, each of which may keep its own EXPORT_DIR; bot/jobs scheduling them hourly)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from bot.jobs.schedule import seconds_until_next
from bot.services.coordination import claim_job, release_job
from bot.services.dates import WIB
from bot.services.download_links import DownloadLinks
from bot.services.retention import ConversationsElsewhere, purge_reporters
from storage.conversations import SqlStorage
from storage.db import SessionFactory, empty_sqlite_log
from storage.models import utcnow

log = logging.getLogger(__name__)

# The quietest hour of the day for the reporters and staff of every zone.
PURGE_HOUR = 3
# A failed purge (the database or Redis away for a while) is tried again this much later,
# rather than leaving reporters identifiable for a day more than promised.
RETRY_SECONDS = 3600.0


async def daily_purge(
    sessions: SessionFactory, storage: SqlStorage | ConversationsElsewhere, retention_days: int
) -> None:
    wait = seconds_until_next(PURGE_HOUR)
    while True:
        await asyncio.sleep(wait)
        wait = seconds_until_next(PURGE_HOUR)
        try:
            await purge_today(sessions, storage, retention_days)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Nothing was erased in the database (one transaction), and the day's claim was
            # given back: the next try finds the same reporters.
            log.exception("retention purge failed", extra={"retry_seconds": RETRY_SECONDS})
            wait = min(wait, RETRY_SECONDS)


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
    try:
        erased = await purge_reporters(
            sessions,
            retention_days=retention_days,
            now=now,
            # Conversations kept in the database are erased with its rows; Redis's apart.
            conversations=None if isinstance(storage, SqlStorage) else storage,
        )
    except Exception:
        await _give_back(sessions, day)
        raise
    if in_memory is not None:
        # The rows the purge erased may still be remembered: the next step of each
        # conversation reads its row again.
        in_memory.forget_cached()
    log.info("retention purge done", extra={"reporters": erased})
    return erased


async def _give_back(sessions: SessionFactory, day: str) -> None:
    try:
        await release_job(sessions, "retention_purge", day)
    except Exception:
        # The database is away too: this day's purge is left to tomorrow's, which finds
        # the same reporters.
        log.exception("retention purge could not give back its day", extra={"day": day})


async def sweep_expired_exports(links: DownloadLinks) -> None:
    """An export holds every case of an office; once no link can fetch it, it is only a
    copy waiting to be found."""
    removed = await asyncio.to_thread(links.sweep, utcnow())
    if removed:
        log.info("expired exports removed", extra={"files": removed})


async def empty_write_ahead_log(sessions: SessionFactory) -> None:
    """What a reporter withdrew (a cancelled or expired draft, a name taken back by
    choosing anonymity) is zeroed in the SQLite file when its row changes (secure_delete),
    but the write-ahead log keeps earlier copies of the pages until it is emptied: for
    days, on a quiet deployment. Run as often as conversations are swept, and only when
    nothing else is reading or writing, so that no reporter waits for it."""
    if not await empty_sqlite_log(sessions, wait=False):
        log.info("write-ahead log not emptied this time: the database was busy")
