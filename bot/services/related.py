"""Cases that look related: the same civil servant at the same agency, or the same image."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz
from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Case, CaseLink, Evidence

NAME_MATCH_SCORE = 85
# Enough earlier cases at one agency to catch repeats without scanning a huge agency's history.
SAME_AGENCY_CANDIDATES = 2000


async def link_related(session: AsyncSession, case: Case, evidence: Sequence[Evidence]) -> int:
    """Link a new case to earlier ones naming a look-alike civil servant at the same agency,
    or carrying the same image. Returns how many links were made."""
    found: dict[int, str] = {}
    same_agency = (
        await session.exec(
            select(Case.id, Case.asn_name)
            .where(Case.agency_key == case.agency_key, Case.id != case.id)
            .limit(SAME_AGENCY_CANDIDATES)
        )
    ).all()
    for other_id, other_name in same_agency:
        if (
            fuzz.token_sort_ratio(case.asn_name.casefold(), other_name.casefold())
            >= NAME_MATCH_SCORE
        ):
            found[other_id] = "same_person"
    hashes = [item.phash for item in evidence if item.phash]
    if hashes:
        same_image = (
            await session.exec(
                select(Evidence.case_id).where(
                    col(Evidence.phash).in_(hashes), Evidence.case_id != case.id
                )
            )
        ).all()
        for other_id in same_image:
            found.setdefault(other_id, "same_image")
    for other_id, reason in found.items():
        low, high = sorted((case.id, other_id))  # type: ignore[type-var]
        session.add(CaseLink(case_id=low, other_case_id=high, reason=reason))
    return len(found)


async def related_cases(session: AsyncSession, case: Case) -> list[tuple[str, str]]:
    links = (
        await session.exec(
            select(CaseLink).where(
                or_(CaseLink.case_id == case.id, CaseLink.other_case_id == case.id)
            )
        )
    ).all()
    other_ids = {
        (link.other_case_id if link.case_id == case.id else link.case_id): link.reason
        for link in links
    }
    if not other_ids:
        return []
    codes = (
        await session.exec(select(Case.id, Case.code).where(col(Case.id).in_(other_ids)))
    ).all()
    return sorted((code, other_ids[case_id]) for case_id, code in codes)
