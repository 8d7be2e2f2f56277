"""The daily overdue reminder: at the configured hour of each office's own time (WIB, WITA,
WIT), every office group gets the overdue cases carded in it. Sent once a day per zone,
whatever the number of instances (the first to claim the day sends it)."""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from datetime import tzinfo

from aiogram.utils.i18n import I18n

from bot.config import Settings
from bot.jobs.schedule import seconds_until_next
from bot.services.case_queries import CaseQueries, OverdueCases
from bot.services.coordination import claim_job
from bot.services.desk import Desk
from bot.services.offices import RI, OfficeDirectory
from bot.services.regions import WIB, ZONES, zone_of
from bot.ui.cards import overdue_text
from storage.db import SessionFactory
from storage.models import Case, utcnow

log = logging.getLogger(__name__)


def office_zone(office_code: str) -> tzinfo:
    return WIB if office_code == RI else zone_of(office_code)


async def daily_overdue_reminder(
    desk: Desk,
    cases: CaseQueries,
    offices: OfficeDirectory,
    sessions: SessionFactory,
    i18n: I18n,
    settings: Settings,
) -> None:
    hour = settings.overdue_reminder_hour
    while True:
        zone = min(ZONES.values(), key=lambda each: seconds_until_next(hour, zone=each))
        await asyncio.sleep(seconds_until_next(hour, zone=zone))
        try:
            day = utcnow().astimezone(zone).date().isoformat()
            if not await claim_job(sessions, f"overdue_reminder:{zone.tzname(None)}", day):
                continue  # another instance sent this zone's reminders today
            await remind_zone(zone, desk, cases, offices, i18n, settings.default_locale)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("overdue reminder failed")


async def remind_zone(
    zone: tzinfo,
    desk: Desk,
    cases: CaseQueries,
    offices: OfficeDirectory,
    i18n: I18n,
    locale: str,
) -> int:
    """Send the overdue cases of each office group in `zone` to that group; returns how many
    groups were sent a reminder."""
    groups = await offices.groups()
    in_zone = {chat for code, chat in groups.items() if office_zone(code) == zone}
    per_group: dict[int, OverdueCases] = defaultdict(OverdueCases)
    overdue = await cases.overdue()
    for section in ("review", "completion", "decision", "follow_up", "follow_up_soon"):
        for case in getattr(overdue, section):
            chat = await _carded_in(case, offices)
            if chat in in_zone:
                getattr(per_group[chat], section).append(case)
                if section.startswith("follow_up"):
                    # The card shows the warning as well: drawn again, it says the PPK's
                    # response is due soon or overdue (a card changes only when its case
                    # does, and the date passing is no change).
                    await desk.refresh_card(case.id)  # type: ignore[arg-type]
    for chat, listed in per_group.items():
        with i18n.context(), i18n.use_locale(locale):
            text = overdue_text(listed)
        await desk.notify_staff(chat, text)
    return len(per_group)


async def _carded_in(case: Case, offices: OfficeDirectory) -> int | None:
    if case.staff_card_message_id is not None and case.card_chat_id is not None:
        return case.card_chat_id
    return await offices.group_for(case.office_code)
