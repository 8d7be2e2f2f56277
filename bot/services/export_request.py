"""What an admin's /export asks for, read from the words after the command:

    /export [bkn] [xlsx|csv] [status=KEY[,KEY…]] [from=DATE] [to=DATE] [OFFICE]

in any order but the office last. DATE is DD/MM/YYYY (or YYYY-MM-DD), a day in WIB, both
ends included; `dari=` and `sampai=` are the Indonesian for `from=` and `to=`. What is left
once the options are read names the office. Pure: the Telegram layer turns the reason of
ExportRequestRejected into a message."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from bot.services.lifecycle import STATUSES

FORMATS = ("xlsx", "csv")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_DATE = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_FROM = ("from", "dari")
_TO = ("to", "sampai")


class ExportRequestRejected(ValueError):
    """`reason` is "unknown_status", "bad_date" or "reversed_period"; `value` what was typed."""

    def __init__(self, reason: str, value: str) -> None:
        super().__init__(reason, value)
        self.reason = reason
        self.value = value


@dataclass(frozen=True)
class ExportRequest:
    fmt: str = "xlsx"
    recommendations: bool = False
    statuses: tuple[str, ...] = ()
    filed_from: date | None = None
    filed_to: date | None = None
    office: str = ""  # as typed; empty: the admin's own
    options: list[str] = field(default_factory=list)  # the options as given, for the audit


def _day(text: str) -> date:
    if match := _ISO_DATE.match(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _DATE.match(text):
        day, month, year = (int(part) for part in match.groups())
    else:
        raise ExportRequestRejected("bad_date", text)
    try:
        return date(year, month, day)
    except ValueError as error:
        raise ExportRequestRejected("bad_date", text) from error


def parse_export_request(arguments: str) -> ExportRequest:
    fmt, recommendations = "xlsx", False
    statuses: list[str] = []
    filed_from = filed_to = None
    office: list[str] = []
    options: list[str] = []
    for word in arguments.split():
        lowered = word.lower()
        key, equals, value = lowered.partition("=")
        if lowered in FORMATS:
            fmt = lowered
        elif lowered == "bkn":
            recommendations = True
        elif equals and key == "status":
            for status in filter(None, value.split(",")):
                if status not in STATUSES:
                    raise ExportRequestRejected("unknown_status", status)
                statuses.append(status)
        elif equals and key in _FROM:
            filed_from = _day(value)
        elif equals and key in _TO:
            filed_to = _day(value)
        else:
            office.append(word)
            continue
        options.append(lowered)
    if filed_from and filed_to and filed_from > filed_to:
        raise ExportRequestRejected("reversed_period", f"{filed_from} > {filed_to}")
    return ExportRequest(
        fmt=fmt,
        recommendations=recommendations,
        statuses=tuple(dict.fromkeys(statuses)),
        filed_from=filed_from,
        filed_to=filed_to,
        office=" ".join(office),
        options=options,
    )
