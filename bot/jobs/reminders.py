"""The daily overdue reminder in the staff chat, sent once a day whatever the number of
instances (the first to claim the day sends it)."""

from __future__ import annotations

import asyncio
import logging

from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.jobs.schedule import seconds_until_next
from bot.services.case_queries import CaseQueries
from bot.services.coordination import claim_job
from bot.services.dates import WIB
from bot.services.desk import Desk
from bot.ui.cards import overdue_text
from storage.db import SessionFactory
from storage.models import utcnow

log = logging.getLogger(__name__)


async def daily_overdue_reminder(
    desk: Desk, cases: CaseQueries, sessions: SessionFactory, i18n: I18n, settings: Settings
) -> None:
    while True:
        await asyncio.sleep(seconds_until_next(settings.overdue_reminder_hour))
        try:
            today = utcnow().astimezone(WIB).date().isoformat()
            if not await claim_job(sessions, "overdue_reminder", today):
                continue  # another instance sent today's reminder
            overdue = await cases.overdue()
            if overdue:
                with i18n.context(), i18n.use_locale(settings.default_locale):
                    text = overdue_text(overdue)
                await desk.notify_staff(text)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("overdue reminder failed")
