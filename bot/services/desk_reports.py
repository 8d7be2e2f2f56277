"""Desk-wide figures and files for staff: /stats and /export, each in its own session. An
export is written to the audit trail with the same commit that reads it."""

from __future__ import annotations

from datetime import date
from typing import Literal

from bot.services.export import PART_LIMIT, ExportFiles, ExportFilters, export_files
from bot.services.lifecycle import audit
from bot.services.offices import RI
from bot.services.statistics import CaseStatistics, case_statistics
from storage.db import SessionFactory


class DeskReports:
    def __init__(self, session_factory: SessionFactory, *, part_limit: int = PART_LIMIT) -> None:
        self._sessions = session_factory
        self._part_limit = part_limit

    @property
    def part_limit(self) -> int:
        return self._part_limit

    async def statistics(self, *, today: date, scope: str = RI) -> CaseStatistics:
        async with self._sessions() as session:
            return await case_statistics(session, today=today, scope=scope)

    async def export(
        self,
        *,
        fmt: Literal["xlsx", "csv"],
        columns: dict[str, str],
        labels: dict[str, dict[str, str]],
        actor_id: int,
        filters: ExportFilters,
        whole: bool = False,
    ) -> ExportFiles:
        """The export's files (services/export.py), each at most the part limit, or one
        file however large when `whole` (to hand over as a link); the caller removes them
        by leaving `with`."""
        files: ExportFiles | None = None
        try:
            async with self._sessions() as session, session.begin():
                files = await export_files(
                    session,
                    fmt=fmt,
                    columns=columns,
                    labels=labels,
                    filters=filters,
                    part_limit=None if whole else self._part_limit,
                )
                what = _described(fmt, filters)
                audit(session, None, actor_id=actor_id, action="export", detail=what)
        except BaseException:
            if files is not None:
                files.__exit__()
            raise
        return files


def _described(fmt: str, filters: ExportFilters) -> str:
    """What was exported, for the audit trail: format, office and each filter given."""
    words = [fmt, filters.scope]
    if filters.recommendations:
        words.append("bkn")
    if filters.statuses:
        words.append("status=" + ",".join(filters.statuses))
    if filters.filed_from:
        words.append(f"from={filters.filed_from.isoformat()}")
    if filters.filed_to:
        words.append(f"to={filters.filed_to.isoformat()}")
    return " ".join(words)
