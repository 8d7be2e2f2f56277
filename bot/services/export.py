"""Spreadsheet export of cases for admins. Never carries reporter identity or chat ids."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.dates import WIB
from storage.models import Case, Evidence

EXPORT_COLUMNS = (
    "code",
    "status",
    "category",
    "asn_name",
    "asn_position",
    "asn_nip",
    "agency",
    "province",
    "incident_date",
    "place",
    "place_url",
    "description",
    "witnesses",
    "evidence_count",
    "created_at",
    "status_changed_at",
    "assignee_id",
    "recommendation_to",
    "recommendation_sent_at",
    "sanction",
    "followed_up_at",
)
BATCH = 1000
# Spreadsheet programs run a cell starting with these as a formula; reporters write the cells.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutralise(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _local(value: datetime | None) -> datetime | None:
    # Spreadsheets have no time zones: show Indonesian (WIB) wall time.
    return value.astimezone(WIB).replace(tzinfo=None) if value else None


async def _rows(
    session: AsyncSession, status_labels: dict[str, str], category_labels: dict[str, str]
) -> AsyncIterator[list[Any]]:
    evidence_counts = (
        select(Evidence.case_id, func.count().label("files")).group_by(Evidence.case_id).subquery()
    )
    last_id = 0
    while True:
        batch = (
            await session.exec(
                select(Case, evidence_counts.c.files)
                .outerjoin(evidence_counts, evidence_counts.c.case_id == Case.id)
                .where(col(Case.id) > last_id)
                .order_by(col(Case.id))
                .limit(BATCH)
            )
        ).all()
        if not batch:
            return
        for case, files in batch:
            values = {
                "code": case.code,
                "status": status_labels.get(case.status, case.status),
                "category": category_labels.get(case.category, case.category),
                "asn_name": case.asn_name,
                "asn_position": case.asn_position,
                "asn_nip": case.asn_nip,
                "agency": case.agency,
                "province": case.province,
                "incident_date": case.incident_date,
                "place": case.place,
                "place_url": case.place_url,
                "description": case.description,
                "witnesses": case.witnesses,
                "evidence_count": files or 0,
                "created_at": _local(case.created_at),
                "status_changed_at": _local(case.status_changed_at),
                "assignee_id": case.assignee_id,
                "recommendation_to": case.recommendation_to,
                "recommendation_sent_at": _local(case.recommendation_sent_at),
                "sanction": case.sanction,
                "followed_up_at": _local(case.followed_up_at),
            }
            yield [_neutralise(values[key]) for key in EXPORT_COLUMNS]
        last_id = batch[-1][0].id


async def export_cases(
    session: AsyncSession,
    *,
    fmt: Literal["xlsx", "csv"],
    columns: dict[str, str],
    status_labels: dict[str, str],
    category_labels: dict[str, str],
) -> bytes:
    """Cases in filing order (by id), one row each; `columns` gives the translated headers."""
    headers = [columns[key] for key in EXPORT_COLUMNS]
    rows = _rows(session, status_labels, category_labels)
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow(headers)
        async for row in rows:
            writer.writerow(["" if value is None else value for value in row])
        # The byte-order mark makes Excel read the file as UTF-8.
        return "\ufeff".encode() + text.getvalue().encode("utf-8")
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Cases")
    header_cells = []
    for header in headers:
        cell = WriteOnlyCell(sheet, value=header)
        cell.font = Font(bold=True)
        header_cells.append(cell)
    sheet.append(header_cells)
    async for row in rows:
        sheet.append(row)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
