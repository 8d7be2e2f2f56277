"""Incident dates as reporters type them, judged against today where it happened."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, tzinfo

# Western Indonesia Time: the zone of dates that belong to no place (the week of /stats).
# Dates of a case are judged and shown in its own province's zone (services/regions.py).
from bot.services.regions import WIB

FORMAL_REPORT_WINDOW_DAYS = 7

_DATE = re.compile(r"^\s*(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})\s*$")


class DateInvalid(ValueError):
    """Not a dd-mm-yyyy or dd/mm/yyyy date."""


class DateDoesNotExist(DateInvalid):
    """Written the right way, but no such day: 31-02-2026, 00-05-2026."""


class DateInFuture(ValueError):
    """The incident cannot have happened after today."""


def today_in_indonesia(now: datetime | None = None) -> date:
    return today_in(WIB, now)


def today_in(zone: tzinfo, now: datetime | None = None) -> date:
    """Today where it is `zone`: in Papua (WIT) a day starts two hours before Jakarta's."""
    return (now or datetime.now(UTC)).astimezone(zone).date()


def parse_incident_date(text: str, today: date) -> date:
    match = _DATE.match(text)
    if not match:
        raise DateInvalid(text)
    day, month, year = (int(part) for part in match.groups())
    try:
        parsed = date(year, month, day)
    except ValueError as error:
        raise DateDoesNotExist(text) from error
    if parsed > today:
        raise DateInFuture(text)
    if parsed.year < 2000:
        raise DateInvalid(text)
    return parsed


def past_formal_deadline(incident: date, today: date) -> bool:
    """True when a formal report is out of time (filed more than 7 days after the event)."""
    return (today - incident).days > FORMAL_REPORT_WINDOW_DAYS
