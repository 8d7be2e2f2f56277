"""Spreadsheet export of cases for admins (XLSX or CSV).

Never carries reporter identity: the query selects the case columns below by name, so the
reporter's name, address, phone, chat id and even reporter_id cannot reach the file,
whatever is added to the tables later.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, String, Subquery, case, cast, func, select
from sqlalchemy.orm import aliased
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import regions
from bot.services.dates import WIB
from bot.services.offices import RI, in_scope, office_name
from storage.models import Case, Evidence, StaffName, utcnow

# Canonical column order of every export; callers give a translated header for each key.
EXPORT_COLUMNS: tuple[str, ...] = (
    "code",
    "kind",
    "register_number",
    "status",
    "outcome_reason",
    "merged_into",
    "election",
    "category",
    "party_kind",
    "asn_name",
    "asn_position",
    "asn_nip",
    "agency",
    "province",
    "regency",
    "office",
    "incident_date",
    "date_known",
    "place",
    "place_url",
    "description",
    "witnesses",
    "evidence_count",
    "created_at",
    "registered_at",
    "deadline_at",
    "status_changed_at",
    "assignee",
    "recommendation_to",
    "recommendation_sent_at",
    "follow_up_due_at",
    "ppk",
    "bkn_recommended_at",
    "bkn_sanction",
    "ppk_response",
    "sanction",
    "ppk_decree",
    "ppk_decree_date",
    "ppk_reason",
    "followed_up_at",
)
# Columns holding a stable key, written as the label the caller gives for it.
LABELLED_COLUMNS: tuple[str, ...] = (
    "kind",
    "status",
    "outcome_reason",
    "election",
    "category",
    "party_kind",
    "bkn_sanction",
    "ppk_response",
    "sanction",
)
# Rows fetched from the database per round trip while streaming.
BATCH = 1000
# Spreadsheet programs run a cell starting with one of these as a formula (CSV injection);
# reporters write most cells, so none may start with one unescaped.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Excel refuses longer cells; only a pathological description could reach it.
_MAX_CELL = 32_767
_CSV_DATETIME = "%Y-%m-%d %H:%M:%S"


def _evidence_counts() -> Subquery:
    return (
        select(col(Evidence.case_id).label("case_id"), func.count().label("files"))
        .group_by(col(Evidence.case_id))
        .subquery("evidence_counts")
    )


def _query() -> Select[Any]:
    counts = _evidence_counts()
    survivor = aliased(Case)
    # Every exported value by key; reporter_id is deliberately absent.
    selected: dict[str, ColumnElement[Any]] = {
        "code": col(Case.code),
        "kind": col(Case.kind),
        "register_number": col(Case.register_number),
        "status": col(Case.status),
        "outcome_reason": col(Case.outcome_reason),
        "merged_into": col(survivor.code),
        "election": col(Case.election),
        "category": col(Case.category),
        "party_kind": col(Case.party_kind),
        "asn_name": col(Case.asn_name),
        "asn_position": col(Case.asn_position),
        "asn_nip": col(Case.asn_nip),
        "agency": col(Case.agency),
        "province": col(Case.province),
        "regency": col(Case.region_code),
        "office": col(Case.office_code),
        "incident_date": col(Case.incident_date),
        "date_known": col(Case.date_known),
        "place": col(Case.place),
        "place_url": col(Case.place_url),
        "description": col(Case.description),
        "witnesses": col(Case.witnesses),
        "evidence_count": func.coalesce(counts.c.files, 0),
        "created_at": col(Case.created_at),
        "registered_at": col(Case.registered_at),
        "deadline_at": col(Case.deadline_at),
        "status_changed_at": col(Case.status_changed_at),
        # A staff member by name where known (services/staff.py), else by Telegram id.
        "assignee": func.coalesce(col(StaffName.name), cast(col(Case.assignee_id), String)),
        "recommendation_to": col(Case.recommendation_to),
        "recommendation_sent_at": col(Case.recommendation_sent_at),
        "follow_up_due_at": col(Case.follow_up_due_at),
        "ppk": col(Case.ppk),
        "bkn_recommended_at": col(Case.bkn_recommended_at),
        "bkn_sanction": col(Case.bkn_sanction),
        # No response by the due date is written as such: it is not an empty cell.
        "ppk_response": case(
            (col(Case.ppk_response).is_not(None), col(Case.ppk_response)),
            (col(Case.follow_up_due_at) < utcnow(), "no_response"),
            else_=None,
        ),
        "sanction": col(Case.sanction),
        "ppk_decree": col(Case.ppk_decree),
        "ppk_decree_date": col(Case.ppk_decree_date),
        "ppk_reason": col(Case.ppk_reason),
        "followed_up_at": col(Case.followed_up_at),
    }
    return (
        select(*(selected[key].label(key) for key in EXPORT_COLUMNS))
        .select_from(Case)
        .outerjoin(counts, counts.c.case_id == col(Case.id))
        .outerjoin(survivor, col(survivor.id) == col(Case.merged_into_id))
        .outerjoin(StaffName, col(StaffName.user_id) == col(Case.assignee_id))
        # The id breaks ties between cases filed in the same instant, so order is stable.
        .order_by(col(Case.created_at), col(Case.id))
    )


# The control characters XML 1.0 forbids (the same set as openpyxl's ILLEGAL_CHARACTERS_RE).
_ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _text(value: str) -> str:
    """A string safe in a cell: no characters XML forbids (openpyxl would refuse the whole
    workbook), no formula (the apostrophe makes spreadsheet programs show it as text)."""
    value = _ILLEGAL_CHARACTERS.sub("", value)[:_MAX_CELL]
    if value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _wib(value: datetime) -> datetime:
    # Spreadsheets have no time zones: show Indonesian (WIB) wall time, naive. The caller's
    # header text says so.
    return value.astimezone(WIB).replace(tzinfo=None)


_LABELLED = [(EXPORT_COLUMNS.index(key), key) for key in LABELLED_COLUMNS]
_REGENCY = EXPORT_COLUMNS.index("regency")
_OFFICE = EXPORT_COLUMNS.index("office")


def _cells(record: Sequence[Any], labels: dict[str, dict[str, str]]) -> list[Any]:
    """One case as cell values: str, int, date, naive WIB datetime or None."""
    row = list(record)
    for index, key in _LABELLED:
        if row[index] is not None:
            row[index] = labels[key].get(row[index], row[index])
    regency = regions.regency(row[_REGENCY])
    row[_REGENCY] = regency.name if regency is not None else None
    row[_OFFICE] = office_name(row[_OFFICE])
    for index, value in enumerate(row):
        if isinstance(value, str):
            row[index] = _text(value)
        elif isinstance(value, datetime):
            row[index] = _wib(value)
    return row


class _CsvSheet:
    def __init__(self, headers: list[str]) -> None:
        self._output = io.BytesIO()
        # utf-8-sig writes the byte-order mark Excel needs to read the file as UTF-8.
        self._text = io.TextIOWrapper(self._output, encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._text)
        self._writer.writerow(headers)

    def append(self, row: list[Any]) -> None:
        self._writer.writerow([_csv_value(value) for value in row])

    def finish(self) -> bytes:
        self._text.flush()
        return self._output.getvalue()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(_CSV_DATETIME)
    if isinstance(value, date):
        return value.isoformat()
    return value


class _XlsxSheet:
    def __init__(self, headers: list[str]) -> None:
        # Imported here: openpyxl costs every bot process 5 MB, and only admins export.
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        # Write-only mode spools rows to a temporary file instead of keeping cells in memory.
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet("Cases")
        self._sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(self._sheet, value=header)
            cell.font = bold
            header_cells.append(cell)
        self._sheet.append(header_cells)

    def append(self, row: list[Any]) -> None:
        # Dates and datetimes become real Excel dates, in openpyxl's default formats.
        self._sheet.append(row)

    def finish(self) -> bytes:
        output = io.BytesIO()
        self._workbook.save(output)
        return output.getvalue()


def _headers(columns: dict[str, str]) -> list[str]:
    missing = [key for key in EXPORT_COLUMNS if key not in columns]
    unknown = [key for key in columns if key not in EXPORT_COLUMNS]
    if missing or unknown:
        # Refuse rather than guess: an unknown key may be a column that must never appear.
        raise ValueError(f"export columns: missing {missing}, unknown {unknown}")
    return [_text(columns[key]) for key in EXPORT_COLUMNS]


async def export_cases(
    session: AsyncSession,
    *,
    fmt: Literal["xlsx", "csv"],
    columns: dict[str, str],
    labels: dict[str, dict[str, str]],
    scope: str = RI,
    recommendations: bool = False,
) -> bytes:
    """The cases of office `scope` and those below it (all for RI), oldest first (with
    `recommendations`, only the cases forwarded, by PPK, then by when), one row
    each, columns in EXPORT_COLUMNS order with the headers `columns` gives (it must name
    exactly those keys). Times are converted to WIB and written without a zone. The
    LABELLED_COLUMNS appear as the labels `labels` gives for their keys, the regency/city
    and the office by their names.

    Rows are streamed from the database BATCH at a time, and each batch is formatted in a
    worker thread: a large export neither holds every case in memory nor stalls the event
    loop the bot's other chats run on.
    """
    headers = _headers(columns)
    if missing := [key for key in LABELLED_COLUMNS if key not in labels]:
        raise ValueError(f"export labels missing for {missing}")
    if fmt == "csv":
        sheet: _CsvSheet | _XlsxSheet = _CsvSheet(headers)
    elif fmt == "xlsx":
        sheet = await asyncio.to_thread(_XlsxSheet, headers)
    else:
        raise ValueError(f"unknown export format {fmt!r}")

    def write(batch: Sequence[Sequence[Any]]) -> None:
        for record in batch:
            sheet.append(_cells(record, labels))

    query = _query()
    if recommendations:
        query = (
            query.where(col(Case.recommendation_sent_at).is_not(None))
            .order_by(None)
            .order_by(col(Case.ppk), col(Case.recommendation_sent_at), col(Case.id))
        )
    if (within := in_scope(scope)) is not None:
        query = query.where(within)
    result = await session.stream(query.execution_options(yield_per=BATCH))
    try:
        async for batch in result.partitions():
            await asyncio.to_thread(write, batch)
    finally:
        await result.close()
    return await asyncio.to_thread(sheet.finish)
