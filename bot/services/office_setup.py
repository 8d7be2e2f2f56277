"""Setting up many offices at once from a CSV file an admin sends the bot, one office a
line:

    office,staff_group,officers,admins
    Kalimantan Tengah,-1001234567890,111111 222222,333333
    62.10,-1009876543210,444444,

`office` is a region code ("62", "62.10", "RI") or a name ("Gunung Mas"); `staff_group` the
group's chat id (empty: leave it); `officers` and `admins` Telegram user ids separated by
spaces. Each line is applied on its own, with the importing admin's authority: a line that
names an office outside the admin's own, or cannot be read, is reported and skipped."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from bot.services.offices import OfficeDirectory, covers, find_office
from bot.services.staff import StaffDirectory, StaffError, StaffMember, parse_user_id

MAX_LINES = 1000
HEADER = ("office", "staff_group", "officers", "admins")


@dataclass
class ImportReport:
    offices: int = 0
    groups: int = 0
    staff: int = 0
    problems: list[tuple[int, str, str]] = field(default_factory=list)  # line, reason, text


async def import_offices(
    text: str, *, by: StaffMember, offices: OfficeDirectory, staff: StaffDirectory
) -> ImportReport:
    report = ImportReport()
    rows = list(csv.reader(io.StringIO(text)))
    if rows and [cell.strip().casefold() for cell in rows[0][:4]] == list(HEADER):
        rows = rows[1:]
        first_line = 2
    else:
        first_line = 1
    for number, row in enumerate(rows[:MAX_LINES], start=first_line):
        cells = [cell.strip() for cell in row] + [""] * 4
        if not any(cells):
            continue
        office = find_office(cells[0])
        if office is None:
            report.problems.append((number, "unknown_office", cells[0][:60]))
            continue
        if not covers(by.office, office):
            report.problems.append((number, "outside_office", cells[0][:60]))
            continue
        people = [(cell, "officer") for cell in cells[2].split()] + [
            (cell, "admin") for cell in cells[3].split()
        ]
        user_ids = [(parse_user_id(cell), role, cell) for cell, role in people]
        unreadable = [cell for user_id, _role, cell in user_ids if user_id is None]
        group = cells[1]
        if unreadable or (group and not _is_group_id(group)):
            report.problems.append((number, "unreadable", (unreadable or [group])[0][:60]))
            continue
        report.offices += 1
        if group:
            await offices.link(office, int(group), by=by.user_id)
            report.groups += 1
        for user_id, role, _cell in user_ids:
            try:
                await staff.add(user_id, role, office, by=by)  # type: ignore[arg-type]
            except StaffError as error:
                report.problems.append((number, error.reason, str(user_id)))
                continue
            report.staff += 1
    if len(rows) > MAX_LINES:
        report.problems.append((first_line + MAX_LINES, "too_many_lines", str(len(rows))))
    return report


def _is_group_id(text: str) -> bool:
    """Telegram group ids are negative ("-100…" for supergroups)."""
    return text.startswith("-") and text[1:].isdigit() and len(text) < 20
