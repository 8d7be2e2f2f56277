"""Whether this process's database and Redis answer: what a load balancer's health check
asks of the webhook's server and of the public site alike."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import text

from storage.db import SessionFactory

# A health check waits no longer for either: the load balancer has its own timeout.
ANSWER_SECONDS = 5.0


async def health_report(sessions: SessionFactory, redis: Any | None) -> tuple[dict[str, str], bool]:
    """Each part's state ("ok", "not used", or "error: <type>", never a message that could
    quote data), and whether all of them are fine."""
    report: dict[str, str] = {}
    try:
        async with sessions() as session:
            connection = await session.connection()
            await asyncio.wait_for(connection.execute(text("SELECT 1")), ANSWER_SECONDS)
        report["database"] = "ok"
    except Exception as error:  # reported, not raised: this is a health check
        report["database"] = f"error: {type(error).__name__}"
    if redis is None:
        report["redis"] = "not used"
    else:
        try:
            await asyncio.wait_for(redis.ping(), ANSWER_SECONDS)
            report["redis"] = "ok"
        except Exception as error:  # reported, not raised
            report["redis"] = f"error: {type(error).__name__}"
    return report, all(value in ("ok", "not used") for value in report.values())
