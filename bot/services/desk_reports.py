"""Desk-wide figures and files for staff: /stats and /export, each in its own session. An
export is written to the audit trail with the same commit that reads it."""

from __future__ import annotations

from datetime import date
from typing import Literal

from bot.services.export import export_cases
from bot.services.lifecycle import audit
from bot.services.offices import RI
from bot.services.statistics import CaseStatistics, case_statistics
from storage.db import SessionFactory


class DeskReports:
    def __init__(self, session_factory: SessionFactory) -> None:
        self._sessions = session_factory

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
        scope: str = RI,
        recommendations: bool = False,
    ) -> bytes:
        async with self._sessions() as session, session.begin():
            content = await export_cases(
                session,
                fmt=fmt,
                columns=columns,
                labels=labels,
                scope=scope,
                recommendations=recommendations,
            )
            what = f"{fmt} {scope}" + (" bkn" if recommendations else "")
            audit(session, None, actor_id=actor_id, action="export", detail=what)
        return content
