"""Cases that look related: the same civil servant at the same agency, or a copy of the same
picture (services/similar_images.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz
from sqlalchemy import func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import similar_images
from storage.models import Case, CaseLink
from storage.repositories import Stager

NAME_MATCH_SCORE = 85
# Enough earlier cases at one agency to catch repeats without scanning a huge agency's history.
SAME_AGENCY_CANDIDATES = 2000
# A new case is linked to at most this many earlier ones, the newest: a photo shared by
# hundreds of reporters would otherwise add hundreds of links inside the submission, and
# the staff chat would see as many cards edited.
LINKS_PER_CASE = 20
# A card lists this many related cases, the newest, and counts the rest: a case that went
# viral gathers a link from every later one, and Telegram refuses a message over 4,096
# characters.
SHOWN = 10


@dataclass(frozen=True)
class RelatedCases:
    shown: list[tuple[str, str]]  # (code, reason), newest case first
    total: int

    @property
    def not_shown(self) -> int:
        return self.total - len(self.shown)


async def find_related(
    session: AsyncSession, case: Case, image_hashes: Sequence[str]
) -> dict[int, str]:
    """Earlier cases a new, not yet stored, case is related to, by id with the reason:
    naming the same civil servant (the same NIP, or a look-alike name at the same agency)
    or carrying a copy of one of its pictures (`image_hashes`); the newest
    `LINKS_PER_CASE` of them.

    Only reads, so that a submission runs it before its write transaction: on SQLite that
    transaction holds the one write turn every update's writes wait for (storage/db.py)."""
    found: dict[int, str] = {}
    same_agency = (
        await session.exec(
            select(Case.id, Case.asn_name)
            .where(Case.agency_key == case.agency_key)
            .order_by(col(Case.id).desc())
            .limit(SAME_AGENCY_CANDIDATES)
        )
    ).all()
    for other_id, other_name in same_agency:
        if (
            fuzz.token_sort_ratio(case.asn_name.casefold(), other_name.casefold())
            >= NAME_MATCH_SCORE
        ):
            found[other_id] = "same_person"
    if case.asn_nip:
        # A NIP names one civil servant wherever they serve now: a repeat offender who
        # moved agency is still the same person.
        same_nip = await session.exec(
            select(Case.id)
            .where(Case.asn_nip == case.asn_nip)
            .order_by(col(Case.id).desc())
            .limit(LINKS_PER_CASE)
        )
        for other_id in same_nip.all():
            found[other_id] = "same_person"
    if image_hashes:
        copies = await similar_images.cases_with_copies(
            session, image_hashes, other_than=0, newest=LINKS_PER_CASE
        )
        for other_id in copies[:LINKS_PER_CASE]:
            found.setdefault(other_id, "same_image")
    return {other_id: found[other_id] for other_id in sorted(found, reverse=True)[:LINKS_PER_CASE]}


def stage_links(
    session: Stager, case: Case, related: dict[int, str], image_hashes: Sequence[str]
) -> None:
    """Stage the stored case's links to `related` (from find_related) and its pictures'
    hashes, kept for later cases; no commit."""
    session.add_all(similar_images.hash_rows(case.id, image_hashes))  # type: ignore[arg-type]
    for other_id, reason in related.items():
        low, high = sorted((case.id, other_id))  # type: ignore[type-var]
        session.add(CaseLink(case_id=low, other_case_id=high, reason=reason))


async def related_cases(session: AsyncSession, case: Case, limit: int = SHOWN) -> RelatedCases:
    """The newest `limit` cases linked to this one, and how many are linked in all."""
    # A link is stored once per pair, lower id first: this case is on either side.
    is_lower = CaseLink.case_id == case.id
    is_higher = CaseLink.other_case_id == case.id
    total = (
        await session.exec(
            select(func.count()).select_from(CaseLink).where(or_(is_lower, is_higher))
        )
    ).one()
    newest: dict[int, str] = {}
    # The newest on each side, each an index range; together they hold the newest overall.
    sides = ((is_lower, col(CaseLink.other_case_id)), (is_higher, col(CaseLink.case_id)))
    for condition, other in sides:
        rows = await session.exec(
            select(other, CaseLink.reason).where(condition).order_by(other.desc()).limit(limit)
        )
        for other_id, reason in rows.all():
            newest.setdefault(other_id, reason)
    kept = sorted(newest, reverse=True)[:limit]
    if not kept:
        return RelatedCases([], total)
    codes = dict(
        (await session.exec(select(Case.id, Case.code).where(col(Case.id).in_(kept)))).all()
    )
    return RelatedCases([(codes[other_id], newest[other_id]) for other_id in kept], total)
