"""Queries and inserts. Repositories never commit: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Case, CaseEvent, ChatPreference, Evidence, Reporter


async def case_by_code(session: AsyncSession, code: str) -> Case | None:
    result = await session.exec(select(Case).where(Case.code == code))
    return result.first()


async def cases_by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Case]:
    """The cases with these ids that exist, newest first, in one query."""
    result = await session.exec(
        select(Case).where(col(Case.id).in_(ids)).order_by(col(Case.id).desc())
    )
    return list(result.all())


async def reporter_chat(session: AsyncSession, case: Case | None) -> int | None:
    """The chat a case was filed from (None once erased by retention)."""
    if case is None:
        return None
    reporter = await session.get(Reporter, case.reporter_id)
    return reporter.chat_id if reporter else None


async def finding_opener(session: AsyncSession, case: Case | None) -> int | None:
    """The staff member who opened a finding (None for a citizen's report)."""
    if case is None:
        return None
    result = await session.exec(
        select(CaseEvent.actor_id).where(
            CaseEvent.case_id == case.id, CaseEvent.action == "finding_opened"
        )
    )
    return result.first()


async def code_exists(session: AsyncSession, code: str) -> bool:
    result = await session.exec(select(Case.id).where(Case.code == code))
    return result.first() is not None


async def cases_filed_from_chat(
    session: AsyncSession, chat_id: int, limit: int = 20
) -> Sequence[Case]:
    result = await session.exec(
        select(Case)
        .join(Reporter, col(Reporter.id) == col(Case.reporter_id))
        .where(Reporter.chat_id == chat_id)
        .order_by(col(Case.created_at).desc())
        .limit(limit)
    )
    return result.all()


async def known_agencies(session: AsyncSession, limit: int = 5000) -> list[str]:
    """One spelling per agency (the most used), most reported first."""
    usage = func.count(col(Case.id))
    result = await session.exec(
        select(func.min(Case.agency), usage)
        .group_by(col(Case.agency_key))
        .order_by(usage.desc())
        .limit(limit)
    )
    return [agency for agency, _count in result.all()]


async def chat_locale(session: AsyncSession, chat_id: int) -> str | None:
    preference = await session.get(ChatPreference, chat_id)
    return preference.locale if preference else None


async def set_chat_locale(session: AsyncSession, chat_id: int, locale: str) -> None:
    preference = await session.get(ChatPreference, chat_id)
    if preference is None:
        session.add(ChatPreference(chat_id=chat_id, locale=locale))
    else:
        preference.locale = locale
        session.add(preference)


async def insert_case(
    session: AsyncSession,
    reporter: Reporter,
    case: Case,
    evidence: Sequence[Evidence],
    event: CaseEvent,
) -> Case:
    """Stage a new case with its reporter, evidence and first audit event (no commit)."""
    session.add(reporter)
    await session.flush()
    case.reporter_id = reporter.id  # type: ignore[assignment]
    session.add(case)
    await session.flush()
    for item in evidence:
        item.case_id = case.id  # type: ignore[assignment]
        session.add(item)
    event.case_id = case.id  # type: ignore[assignment]
    session.add(event)
    await session.flush()
    return case


async def evidence_count(session: AsyncSession, case_id: int) -> int:
    result = await session.exec(select(func.count()).where(Evidence.case_id == case_id))
    return int(result.one())


async def evidence_of_case(session: AsyncSession, case_id: int) -> Sequence[Evidence]:
    result = await session.exec(
        select(Evidence).where(Evidence.case_id == case_id).order_by(col(Evidence.id))
    )
    return result.all()
