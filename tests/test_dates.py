from datetime import UTC, date, datetime

import pytest

from bot.services.dates import (
    DateInFuture,
    DateInvalid,
    parse_incident_date,
    past_formal_deadline,
    today_in_indonesia,
)

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("17-11-2026", date(2026, 11, 17)),
        ("17/11/2026", date(2026, 11, 17)),
        ("1-2-2026", date(2026, 2, 1)),
        (" 22-11-2026 ", TODAY),
        ("29/02/2024", date(2024, 2, 29)),
    ],
)
def test_accepts_day_month_year(typed: str, expected: date) -> None:
    assert parse_incident_date(typed, TODAY) == expected


@pytest.mark.parametrize(
    "typed", ["2026-11-17", "17-13-2026", "31-04-2026", "29-02-2025", "kemarin", "", "17-11-26"]
)
def test_refuses_what_is_not_a_date(typed: str) -> None:
    with pytest.raises(DateInvalid):
        parse_incident_date(typed, TODAY)


def test_refuses_a_future_date() -> None:
    with pytest.raises(DateInFuture):
        parse_incident_date("23-11-2026", TODAY)


def test_seven_day_formal_window() -> None:
    assert not past_formal_deadline(date(2026, 11, 15), TODAY)
    assert past_formal_deadline(date(2026, 11, 14), TODAY)


def test_today_is_judged_in_western_indonesia_time() -> None:
    # 18:30 UTC on the 22nd is already 01:30 on the 23rd in Jakarta.
    assert today_in_indonesia(datetime(2026, 11, 22, 18, 30, tzinfo=UTC)) == date(2026, 11, 23)
