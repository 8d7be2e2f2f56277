"""When background jobs run: every so many seconds, or at an hour of the day. A failed
round is logged and tried again next time rather than ending the job."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, tzinfo

from bot.services.dates import WIB
from storage.models import utcnow

log = logging.getLogger(__name__)


async def every(
    seconds: float, job: Callable[[], Awaitable[None]], name: str, *, at_start: bool = False
) -> None:
    """Run `job` every `seconds`; first at once when `at_start` (what piled up while the
    bot was down), otherwise after the first interval."""
    if not at_start:
        await asyncio.sleep(seconds)
    while True:
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background job failed", extra={"job": name})
        await asyncio.sleep(seconds)


def seconds_until_next(hour: int, now: datetime | None = None, zone: tzinfo = WIB) -> float:
    """Seconds until the next `hour`:00 in `zone` (Western Indonesia Time by default)."""
    local = (now or utcnow()).astimezone(zone)
    target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return (target - local).total_seconds()
