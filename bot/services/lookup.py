"""What a code holder or a reporter may see of a case: its status, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.codes import normalize_code
from storage import repositories
from storage.db import SessionFactory
from storage.models import Case


class MalformedCode(ValueError):
    pass


@dataclass(frozen=True)
class StatusView:
    code: str
    status: str
    changed_at: datetime
    public_note: str | None
    region_code: str = ""  # where it happened: its time is the one shown


async def status_by_code(session: AsyncSession, text: str, prefix: str) -> StatusView | None:
    """Raises MalformedCode when `text` cannot be a code; None when no case has it."""
    code = normalize_code(text, prefix)
    if code is None:
        raise MalformedCode(text)
    case = await repositories.case_by_code(session, code)
    if case is None:
        return None
    return _view(case)


async def reports_of_chat(session: AsyncSession, chat_id: int) -> list[StatusView]:
    cases = await repositories.cases_filed_from_chat(session, chat_id)
    return [_view(case) for case in cases]


def _view(case: Case) -> StatusView:
    return StatusView(
        case.code, case.status, case.status_changed_at, case.public_note, case.region_code
    )


class StatusLookup:
    """The reporter-facing look-ups, each in its own session."""

    def __init__(self, session_factory: SessionFactory, code_prefix: str) -> None:
        self._sessions = session_factory
        self.code_prefix = code_prefix

    async def status(self, text: str) -> StatusView | None:
        async with self._sessions() as session:
            return await status_by_code(session, text, self.code_prefix)

    async def reports_of(self, chat_id: int) -> list[StatusView]:
        async with self._sessions() as session:
            return await reports_of_chat(session, chat_id)
