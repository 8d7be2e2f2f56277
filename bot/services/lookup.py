"""What a code holder or a reporter may see of a case: its status, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.codes import normalize_code
from storage import repositories


class MalformedCode(ValueError):
    pass


@dataclass(frozen=True)
class StatusView:
    code: str
    status: str
    changed_at: datetime
    public_note: str | None


async def status_by_code(session: AsyncSession, text: str, prefix: str) -> StatusView | None:
    """Raises MalformedCode when `text` cannot be a code; None when no case has it."""
    code = normalize_code(text, prefix)
    if code is None:
        raise MalformedCode(text)
    case = await repositories.case_by_code(session, code)
    if case is None:
        return None
    return StatusView(case.code, case.status, case.status_changed_at, case.public_note)


async def reports_of_chat(session: AsyncSession, chat_id: int) -> list[StatusView]:
    cases = await repositories.cases_filed_from_chat(session, chat_id)
    return [StatusView(c.code, c.status, c.status_changed_at, c.public_note) for c in cases]
