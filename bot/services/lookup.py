"""What a code holder or a reporter may see of a case: where it stands in the procedure,
which office handles it, the end of its current stage; nothing about who reported it or
what was reported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.codes import normalize_code
from bot.services.lifecycle import OPEN, Status
from storage import repositories
from storage.db import SessionFactory
from storage.models import Case, CaseEvent, Reporter


class MalformedCode(ValueError):
    pass


@dataclass(frozen=True)
class StatusView:
    code: str
    status: str
    changed_at: datetime
    public_note: str | None
    region_code: str = ""  # where it happened: its time is the one shown
    office_code: str = "RI"
    deadline_at: datetime | None = None
    extended: bool = False
    register_number: str | None = None
    outcome_reason: str | None = None
    # A duplicate merged into another case: that case, which carries on.
    merged_into: StatusView | None = None
    # Looked up from the chat that filed it: its reporter may add information.
    filed_here: bool = False

    @property
    def carried_on_by(self) -> StatusView:
        """The case whose progress counts: this one, or the one it was merged into."""
        return self.merged_into or self


async def status_by_code(
    session: AsyncSession, text: str, prefix: str, *, chat_id: int | None = None
) -> StatusView | None:
    """Raises MalformedCode when `text` cannot be a code; None when no case has it."""
    code = normalize_code(text, prefix)
    if code is None:
        raise MalformedCode(text)
    case = await repositories.case_by_code(session, code)
    if case is None:
        return None
    filed_here = chat_id is not None and await repositories.reporter_chat(session, case) == chat_id
    return await _view(session, case, filed_here=filed_here)


async def reports_of_chat(session: AsyncSession, chat_id: int) -> list[StatusView]:
    cases = await repositories.cases_filed_from_chat(session, chat_id)
    return [await _view(session, case, filed_here=True) for case in cases]


async def awaiting_reporter(session: AsyncSession, chat_id: int, limit: int = 3) -> list[str]:
    """Codes of the open reports filed from this chat that wait on their reporter: a
    question of the office's not answered since, or a return for completion. Newest first."""

    def last(action: str) -> object:
        return (
            select(func.max(CaseEvent.id))
            .where(CaseEvent.case_id == Case.id, CaseEvent.action == action)
            .scalar_subquery()
        )

    question, answer = last("question"), last("answer")
    result = await session.exec(
        select(Case.code)
        .join(Reporter, col(Reporter.id) == col(Case.reporter_id))
        .where(
            Reporter.chat_id == chat_id,
            col(Case.status).in_(OPEN),
            or_(
                Case.status == Status.COMPLETION,
                and_(question.is_not(None), or_(answer.is_(None), question > answer)),  # type: ignore[attr-defined,operator]
            ),
        )
        .order_by(col(Case.status_changed_at).desc())
        .limit(limit)
    )
    return list(result.all())


async def _view(session: AsyncSession, case: Case, *, filed_here: bool) -> StatusView:
    survivor = None
    if case.status == Status.MERGED and case.merged_into_id is not None:
        found = await session.get(Case, case.merged_into_id)
        survivor = await _view(session, found, filed_here=False) if found else None
    return StatusView(
        code=case.code,
        status=case.status,
        changed_at=case.status_changed_at,
        public_note=case.public_note,
        region_code=case.region_code,
        office_code=case.office_code,
        deadline_at=case.deadline_at,
        extended=case.extended,
        register_number=case.register_number,
        outcome_reason=case.outcome_reason,
        merged_into=survivor,
        filed_here=filed_here,
    )


class StatusLookup:
    """The reporter-facing look-ups, each in its own session."""

    def __init__(self, session_factory: SessionFactory, code_prefix: str) -> None:
        self._sessions = session_factory
        self.code_prefix = code_prefix

    async def status(self, text: str, *, chat_id: int | None = None) -> StatusView | None:
        async with self._sessions() as session:
            return await status_by_code(session, text, self.code_prefix, chat_id=chat_id)

    async def reports_of(self, chat_id: int) -> list[StatusView]:
        async with self._sessions() as session:
            return await reports_of_chat(session, chat_id)

    async def awaiting_answer(self, chat_id: int) -> list[str]:
        async with self._sessions() as session:
            return await awaiting_reporter(session, chat_id)
