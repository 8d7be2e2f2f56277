"""Spreadsheet export of cases for admins (XLSX or CSV).

Never carries reporter identity: the query selects the case columns below by name, so the
reporter's name, address, phone, chat id and even reporter_id cannot reach the file,
whatever is added to the tables later.
"""

from __future__ import annotations

import asyncio
import codecs
import csv
import io
import re
import shutil
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
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
# The largest file an export is cut into: Telegram refuses a bot's document over 50 MB,
# and the margin covers an XLSX file's estimate (_XlsxPart).
PART_LIMIT = 45 * 1024 * 1024
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


class _CsvPart:
    """One CSV file on disk; its size is counted as each row is encoded."""

    def __init__(self, path: Path, headers: list[str]) -> None:
        self._file = path.open("wb")
        # The byte-order mark Excel needs to read the file as UTF-8.
        self._file.write(codecs.BOM_UTF8)
        self._line = io.StringIO()
        self._writer = csv.writer(self._line)
        self.size = len(codecs.BOM_UTF8)
        self.rows = 0
        self.write(self.prepare(headers))

    def prepare(self, row: list[Any]) -> tuple[int, bytes]:
        """The row as written, and what it adds to the file."""
        self._line.seek(0)
        self._line.truncate()
        self._writer.writerow([_csv_value(value) for value in row])
        encoded = self._line.getvalue().encode("utf-8")
        return len(encoded), encoded

    def write(self, prepared: tuple[int, Any]) -> None:
        self._file.write(prepared[1])
        self.size += prepared[0]
        self.rows += 1

    def close(self) -> None:
        self._file.close()


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime(_CSV_DATETIME)
    if isinstance(value, date):
        return value.isoformat()
    return value


# An XLSX file is zipped XML: its size is known only once openpyxl has written it. Each row
# is also deflated here, as XML much like openpyxl's, to follow the size as it grows. Deflate
# holds input back before its output shows, counted here at full size until it does; the
# package's other files (styles, workbook, zip directory) are about 5 KB.
_XLSX_PACKAGE = 8 * 1024
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


class _XlsxPart:
    def __init__(self, path: Path, headers: list[str]) -> None:
        # Imported here: openpyxl costs every bot process 5 MB, and only admins export.
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        self._path = path
        # Write-only mode spools rows to a temporary file instead of keeping cells in memory.
        self._workbook = Workbook(write_only=True)
        self._sheet = self._workbook.create_sheet("Cases")
        self._sheet.freeze_panes = "A2"
        self._deflate = zlib.compressobj(6)
        self._deflated = _XLSX_PACKAGE
        self._held_back = 0
        self.size = _XLSX_PACKAGE
        self.rows = 0
        bold = Font(bold=True)
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(self._sheet, value=header)
            cell.font = bold
            header_cells.append(cell)
        self.write((self.prepare(headers)[0], header_cells))

    def prepare(self, row: list[Any]) -> tuple[int, list[Any]]:
        number = self.rows + 1
        xml = "".join(
            f'<c r="{index}{number}" t="inlineStr"><is><t>{value.translate(_XML_ESCAPES)}'
            "</t></is></c>"
            if isinstance(value, str)
            else f'<c r="{index}{number}" s="1"><v>{value}</v></c>'
            for index, value in enumerate(row)
            if value is not None
        )
        given = f'<row r="{number}">{xml}</row>'.encode()
        deflated = len(self._deflate.compress(given))
        self._held_back = 0 if deflated else self._held_back + len(given)
        self._deflated += deflated
        # What the file grows by with this row: the estimate after it less the one before.
        return self._deflated + self._held_back - self.size, row

    def write(self, prepared: tuple[int, Any]) -> None:
        # Dates and datetimes become real Excel dates, in openpyxl's default formats.
        self._sheet.append(prepared[1])
        self.size += prepared[0]
        self.rows += 1

    def close(self) -> None:
        self._workbook.save(self._path)


class _Parts:
    """Rows written into numbered files, a new one (with the headers again) before a row
    would take the current one past `limit` bytes."""

    def __init__(self, directory: Path, fmt: str, headers: list[str], limit: int | None):
        self._directory = directory
        self._fmt = fmt
        self._headers = headers
        self._limit = limit
        self.paths: list[Path] = []
        self._current = self._open()

    def _open(self) -> _CsvPart | _XlsxPart:
        path = self._directory / f"part-{len(self.paths) + 1:03d}.{self._fmt}"
        self.paths.append(path)
        return (
            _CsvPart(path, self._headers) if self._fmt == "csv" else _XlsxPart(path, self._headers)
        )

    def append(self, row: list[Any]) -> None:
        prepared = self._current.prepare(row)
        if (
            self._limit is not None
            and self._current.rows > 1  # a part holds at least one case, whatever its size
            and self._current.size + prepared[0] > self._limit
        ):
            self._current.close()
            self._current = self._open()
            prepared = self._current.prepare(row)
        self._current.write(prepared)

    def close(self) -> None:
        self._current.close()


def _headers(columns: dict[str, str]) -> list[str]:
    missing = [key for key in EXPORT_COLUMNS if key not in columns]
    unknown = [key for key in columns if key not in EXPORT_COLUMNS]
    if missing or unknown:
        # Refuse rather than guess: an unknown key may be a column that must never appear.
        raise ValueError(f"export columns: missing {missing}, unknown {unknown}")
    return [_text(columns[key]) for key in EXPORT_COLUMNS]


@dataclass(frozen=True)
class ExportFilters:
    """Which cases an export holds: those of office `scope` and the offices below it, in
    `statuses` (any when empty), filed from `filed_from` to `filed_to` (WIB days, both
    included; open-ended when None); with `recommendations`, only the cases forwarded."""

    scope: str = RI
    statuses: tuple[str, ...] = ()
    filed_from: date | None = None
    filed_to: date | None = None
    recommendations: bool = False


def _wib_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=WIB).astimezone(UTC)


def _filtered(query: Select[Any], filters: ExportFilters) -> Select[Any]:
    if filters.recommendations:
        query = (
            query.where(col(Case.recommendation_sent_at).is_not(None))
            .order_by(None)
            .order_by(col(Case.ppk), col(Case.recommendation_sent_at), col(Case.id))
        )
    if (within := in_scope(filters.scope)) is not None:
        query = query.where(within)
    if filters.statuses:
        query = query.where(col(Case.status).in_(filters.statuses))
    if filters.filed_from is not None:
        query = query.where(col(Case.created_at) >= _wib_midnight(filters.filed_from))
    if filters.filed_to is not None:
        following = filters.filed_to + timedelta(days=1)
        query = query.where(col(Case.created_at) < _wib_midnight(following))
    return query


class ExportFiles:
    """The files an export was written to, in order; removed from disk on leaving `with`."""

    def __init__(self, directory: Path, paths: list[Path]) -> None:
        self.directory = directory
        self.paths = paths

    def __enter__(self) -> list[Path]:
        return self.paths

    def __exit__(self, *_: object) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


async def export_files(
    session: AsyncSession,
    *,
    fmt: Literal["xlsx", "csv"],
    columns: dict[str, str],
    labels: dict[str, dict[str, str]],
    filters: ExportFilters = ExportFilters(),
    part_limit: int | None = PART_LIMIT,
) -> ExportFiles:
    """The cases `filters` chooses, oldest first (with `recommendations`, by PPK, then by
    when), one row each, columns in EXPORT_COLUMNS order with the headers `columns` gives
    (it must name exactly those keys), in temporary files of at most `part_limit` bytes
    each (one file when None), every file with the headers. Times are converted to WIB and
    written without a zone. The LABELLED_COLUMNS appear as the labels `labels` gives for
    their keys, the regency/city and the office by their names.

    Rows are streamed from the database BATCH at a time (a server-side cursor on
    PostgreSQL) and each batch is written to disk in a worker thread: an export of a
    million cases holds one batch in memory and does not stall the event loop the bot's
    other chats run on (bench/RESULTS.md has its peak memory).
    """
    headers = _headers(columns)
    if missing := [key for key in LABELLED_COLUMNS if key not in labels]:
        raise ValueError(f"export labels missing for {missing}")
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"unknown export format {fmt!r}")
    directory = Path(tempfile.mkdtemp(prefix="lapor-export-"))
    try:
        parts = await asyncio.to_thread(_Parts, directory, fmt, headers, part_limit)

        def write(batch: Sequence[Sequence[Any]]) -> None:
            for record in batch:
                parts.append(_cells(record, labels))

        query = _filtered(_query(), filters)
        result = await session.stream(query.execution_options(yield_per=BATCH))
        try:
            async for batch in result.partitions():
                await asyncio.to_thread(write, batch)
        finally:
            await result.close()
        await asyncio.to_thread(parts.close)
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    return ExportFiles(directory, parts.paths)


async def export_cases(
    session: AsyncSession,
    *,
    fmt: Literal["xlsx", "csv"],
    columns: dict[str, str],
    labels: dict[str, dict[str, str]],
    scope: str = RI,
    recommendations: bool = False,
) -> bytes:
    """The whole export as one file's bytes (export_files without a part limit): for
    exports known to be small, and tests."""
    files = await export_files(
        session,
        fmt=fmt,
        columns=columns,
        labels=labels,
        filters=ExportFilters(scope=scope, recommendations=recommendations),
        part_limit=None,
    )
    with files as paths:
        return await asyncio.to_thread(paths[0].read_bytes)
