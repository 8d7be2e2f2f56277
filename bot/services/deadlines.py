"""The statutory periods of the procedure, counted as each law counts them, in the time of
the place the case belongs to.

Each period, general election (Pemilu) / regional election (Pemilihan):
- to report, from the day the violation became known: 7 working days (UU 7/2017 Pasal
  454(6); Perbawaslu 7/2022 Pasal 8(3)) / 7 days (UU 1/2015 Pasal 134(4));
- initial review (kajian awal), from the report: 2 working days (Perbawaslu 7/2022
  Pasal 15) / 2 days;
- completion by the reporter, from the notice: 2 working days / 2 days (Perbawaslu 8/2020
  as amended by 9/2024);
- decision, from registration: 7 working days (UU 7/2017 Pasal 454(7)) / 3 days (UU 1/2015
  Pasal 134(5));
- extension when more information is needed: 7 more, 14 in all (Pasal 454(8)) / 2 more
  (Pasal 134(6)).

Bawaslu counts the general election's days as working days (Monday to Friday) and the
regional election's as calendar days ("hari kalender", as UU 10/2016 has it). While a
case's election is not known the stricter reading applies: calendar days. National public
holidays are not known to the bot and count as working days (docs/domain.md).

A period of n days ends at the end of the n-th day after the day it starts from: a report
received on Monday morning has its initial review due by Wednesday 23:59 in its place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.services.elections import Regime, regime_of
from storage.models import as_utc


@dataclass(frozen=True)
class Periods:
    working_days: bool
    report_days: int = 7
    review_days: int = 2
    completion_days: int = 2
    decision_days: int = 7
    extension_days: int = 7


PERIODS: dict[Regime | None, Periods] = {
    Regime.GENERAL: Periods(working_days=True, decision_days=7, extension_days=7),
    Regime.REGIONAL: Periods(working_days=False, decision_days=3, extension_days=2),
    # The election not yet known: the general periods, counted in calendar days.
    None: Periods(working_days=False, decision_days=7, extension_days=7),
}


def periods_for(election: str) -> Periods:
    return PERIODS[regime_of(election)]


def _is_counted(day: date, working_days: bool) -> bool:
    return not working_days or day.weekday() < 5


def days_after(start: date, days: int, *, working_days: bool) -> date:
    """The `days`-th counted day after `start` (working days skip Saturday and Sunday)."""
    current, counted = start, 0
    while counted < days:
        current += timedelta(days=1)
        if _is_counted(current, working_days):
            counted += 1
    return current


def end_of_day(day: date, zone: tzinfo) -> datetime:
    """The last moment of `day` where `zone` keeps time, in UTC."""
    local = datetime.combine(day, time(23, 59, 59), tzinfo=zone)
    return local.astimezone(UTC)


def _local_day(moment: datetime, zone: tzinfo) -> date:
    return as_utc(moment).astimezone(zone).date()


def period_end(start: datetime, days: int, *, working_days: bool, zone: tzinfo) -> datetime:
    return end_of_day(days_after(_local_day(start, zone), days, working_days=working_days), zone)


def review_deadline(received_at: datetime, election: str, zone: tzinfo) -> datetime:
    periods = periods_for(election)
    return period_end(
        received_at, periods.review_days, working_days=periods.working_days, zone=zone
    )


def completion_deadline(notified_at: datetime, election: str, zone: tzinfo) -> datetime:
    periods = periods_for(election)
    return period_end(
        notified_at, periods.completion_days, working_days=periods.working_days, zone=zone
    )


def decision_deadline(
    registered_at: datetime, election: str, zone: tzinfo, *, extended: bool = False
) -> datetime:
    periods = periods_for(election)
    days = periods.decision_days + (periods.extension_days if extended else 0)
    return period_end(registered_at, days, working_days=periods.working_days, zone=zone)


def reported_late(known_on: date, reported_on: date, election: str) -> bool:
    """Whether a report made on `reported_on` is past the 7 days counted from the day the
    violation became known: a formal requirement (Perbawaslu 7/2022 Pasal 15(3))."""
    periods = periods_for(election)
    last_day = days_after(known_on, periods.report_days, working_days=periods.working_days)
    return reported_on > last_day
