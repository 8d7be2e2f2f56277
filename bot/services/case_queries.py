"""Reading cases for the staff desk: one case in full, the inbox, search, and what is
overdue. Nothing here changes a case (services/desk.py does)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapidfuzz import fuzz
from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import outbox
from bot.services.codes import normalize_code
from bot.services.lifecycle import DECISION_PENDING, OPEN, REVIEW_PENDING, Status
from bot.services.name_search import indexed_words, newest_containing, newest_matching
from bot.services.offices import RI, covers, in_scope
from bot.services.related import RelatedCases, related_cases
from bot.services.staff import staff_names
from storage.db import SessionFactory
from storage.models import Case, CaseEvent, Evidence, Reporter, as_utc, utcnow

INBOX_PAGE = 10
# A PPK's response due this soon is shown ahead of time (the early warning).
FOLLOW_UP_WARNING = timedelta(days=7)
# /inbox counts the cases it lists only this far past the page shown ("more than …").
INBOX_COUNT_LIMIT = 1000
# /find ranks this many of the newest cases that contain a typed word.
FIND_CANDIDATES = 500


class CaseNotFound(LookupError):
    """No case has the code typed (or, for a reporter, none of theirs has it)."""

    def __init__(self, code_text: str) -> None:
        super().__init__(code_text)
        self.code_text = code_text


class CaseClosedForAnswers(LookupError):
    """The reporter answers a case that no longer waits for anything from them."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class InboxPage:
    cases: list[Case]
    total: int  # all of them, or a lower bound when `more`
    more: bool = False  # there are more than `total`


@dataclass
class CaseDetail:
    case: Case
    evidence: list[Evidence]
    events: list[CaseEvent]
    failed_notifications: int
    related: RelatedCases
    # Who acted, by name where known (services/staff.py), for the history and the card.
    staff_names: dict[int, str] = field(default_factory=dict)
    merged_into: str | None = None  # the code of the case this one was merged into
    merged_in: list[str] = field(default_factory=list)  # codes merged into this one
    # The civil servant's other cases (same NIP, or same name at the same agency), oldest
    # first: (code, status, sanction imposed or None). A repeat offender shows here.
    same_person: list[tuple[str, str, str | None]] = field(default_factory=list)
    reporter_name: str | None = None
    reporter_address: str | None = None
    reporter_phone: str | None = None


@dataclass
class OverdueCases:
    review: list[Case] = field(default_factory=list)
    completion: list[Case] = field(default_factory=list)
    decision: list[Case] = field(default_factory=list)
    follow_up: list[Case] = field(default_factory=list)
    # Not overdue yet: the early warning, so an office can remind the PPK in time.
    follow_up_soon: list[Case] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.review or self.completion or self.decision or self.follow_up or self.follow_up_soon
        )


async def case_by_code(session: AsyncSession, code_text: str, prefix: str) -> Case:
    """The case a typed code names (any case, spacing, dashes, O for 0), or CaseNotFound."""
    code = normalize_code(code_text, prefix)
    case = (await session.exec(select(Case).where(Case.code == code))).first() if code else None
    if case is None:
        raise CaseNotFound(code_text)
    return case


async def reporters_case(session: AsyncSession, code_text: str, prefix: str, chat_id: int) -> Case:
    """The case, if it was filed from `chat_id`; CaseNotFound for any other, so that a
    forged button cannot tell a code that exists from one that does not."""
    case = await case_by_code(session, code_text, prefix)
    reporter = await session.get(Reporter, case.reporter_id)
    if reporter is None or reporter.chat_id != chat_id:
        raise CaseNotFound(code_text)
    return case


async def answerable(session: AsyncSession, own: Case) -> Case:
    """The case a reporter's answer or addition goes to: their own, or the one it was
    merged into; CaseClosedForAnswers once that is no longer open."""
    case = own
    if own.status == Status.MERGED and own.merged_into_id is not None:
        case = await session.get(Case, own.merged_into_id) or own
    if case.status not in OPEN:
        raise CaseClosedForAnswers(case.status)
    return case


class CaseQueries:
    def __init__(self, session_factory: SessionFactory, code_prefix: str):
        self._sessions = session_factory
        self._prefix = code_prefix

    async def case(self, code_text: str, *, scope: str = RI) -> Case:
        async with self._sessions() as session:
            return await self._in_scope(session, code_text, scope)

    async def _in_scope(self, session: AsyncSession, code_text: str, scope: str) -> Case:
        """Outside the office's scope a case is CaseNotFound, as one that does not exist:
        an officer cannot learn that another office has a case by its code."""
        case = await case_by_code(session, code_text, self._prefix)
        if not covers(scope, case.office_code):
            raise CaseNotFound(code_text)
        return case

    async def detail(self, code_text: str, *, show_identity: bool, scope: str = RI) -> CaseDetail:
        async with self._sessions() as session:
            case = await self._in_scope(session, code_text, scope)
            evidence = (
                await session.exec(
                    select(Evidence).where(Evidence.case_id == case.id).order_by(col(Evidence.id))
                )
            ).all()
            events = (
                await session.exec(
                    select(CaseEvent)
                    .where(CaseEvent.case_id == case.id)
                    .order_by(col(CaseEvent.id))
                )
            ).all()
            failed = await outbox.failed_for_case(session, case.id)  # type: ignore[arg-type]
            related = await related_cases(session, case)
            detail = CaseDetail(case, list(evidence), list(events), len(failed), related)
            actors = {event.actor_id for event in events if event.actor == "staff"}
            if case.assignee_id is not None:
                actors.add(case.assignee_id)
            detail.staff_names = await staff_names(session, actors)
            if case.merged_into_id is not None:
                survivor = await session.get(Case, case.merged_into_id)
                detail.merged_into = survivor.code if survivor else None
            detail.merged_in = list(
                (
                    await session.exec(
                        select(Case.code)
                        .where(Case.merged_into_id == case.id)
                        .order_by(col(Case.id))
                    )
                ).all()
            )
            same_person = [code for code, reason in related.shown if reason == "same_person"]
            if same_person:
                detail.same_person = list(
                    (
                        await session.exec(
                            select(Case.code, Case.status, Case.sanction)
                            .where(col(Case.code).in_(same_person))
                            .order_by(col(Case.id))
                        )
                    ).all()
                )
            if show_identity:
                reporter = await session.get(Reporter, case.reporter_id)
                if reporter is not None and reporter.identity == "identified":
                    detail.reporter_name = reporter.name
                    detail.reporter_address = reporter.address
                    detail.reporter_phone = reporter.phone
            return detail

    async def reporter_locale(self, code_text: str, *, scope: str = RI) -> str:
        async with self._sessions() as session:
            case = await self._in_scope(session, code_text, scope)
            reporter = await session.get(Reporter, case.reporter_id)
        return reporter.locale if reporter else "id"

    async def inbox(
        self, *, statuses: Sequence[str], assignee_id: int | None, page: int, scope: str = RI
    ) -> InboxPage:
        """Open cases (or those of `statuses`), oldest first: a page and how many there are,
        counted up to INBOX_COUNT_LIMIT past the page (an exact count of a few hundred
        thousand open cases took 30 ms of the 35 ms /inbox took at a million cases)."""
        conditions = [col(Case.status).in_(statuses)]
        if (within := in_scope(scope)) is not None:
            conditions.append(within)
        if assignee_id is not None:
            conditions.append(Case.assignee_id == assignee_id)
        limit = page * INBOX_PAGE + INBOX_COUNT_LIMIT
        counted = select(col(Case.id)).where(*conditions).limit(limit + 1).subquery()
        async with self._sessions() as session:
            total = (await session.exec(select(func.count()).select_from(counted))).one()
            cases = (
                await session.exec(
                    select(Case)
                    .where(*conditions)
                    .order_by(col(Case.created_at), col(Case.id))
                    .offset(page * INBOX_PAGE)
                    .limit(INBOX_PAGE)
                )
            ).all()
        return InboxPage(list(cases), min(int(total), limit), more=int(total) > limit)

    async def find(self, text: str, limit: int = 10, *, scope: str = RI) -> list[Case]:
        """By code, or by civil-servant name or agency (fuzzy on names), among the cases
        staff of `scope` see: the newest FIND_CANDIDATES with any typed word in the name or
        agency, ranked by how alike the names are."""
        code = normalize_code(text, self._prefix)
        within = in_scope(scope)
        async with self._sessions() as session:
            if code is not None:
                found = (await session.exec(select(Case).where(Case.code == code))).first()
                if found is not None and covers(scope, found.office_code):
                    return [found]
            term = " ".join(text.casefold().split())
            if not term:
                return []
            words = term.split()[:5]
            if indexed := indexed_words(words):
                # Through the trigram index; words too short for it only rank.
                candidates = await newest_matching(
                    session, indexed, within=within, limit=FIND_CANDIDATES
                )
            else:
                # Words too short for the index: LIKE over the newest cases.
                candidates = await newest_containing(
                    session, words, within=within, limit=FIND_CANDIDATES
                )
            ranked = sorted(
                candidates,
                key=lambda row: max(
                    fuzz.token_set_ratio(term, row.asn_name.casefold()),
                    fuzz.token_set_ratio(term, row.agency_key),
                ),
                reverse=True,
            )
            # Only the few shown are read whole: building 500 cases took most of the time.
            chosen = [row.id for row in ranked[:limit]]
            cases = {
                case.id: case
                for case in (await session.exec(select(Case).where(col(Case.id).in_(chosen)))).all()
            }
        return [cases[case_id] for case_id in chosen if case_id in cases]

    async def overdue(self, now: datetime | None = None, *, scope: str = RI) -> OverdueCases:
        """Open cases past their stage's statutory deadline (services/deadlines.py), and
        recommendations whose follow-up is overdue."""
        now = now or utcnow()
        within = () if (condition := in_scope(scope)) is None else (condition,)
        async with self._sessions() as session:
            late = (
                await session.exec(
                    select(Case)
                    .where(*within, col(Case.deadline_at) < now, col(Case.status).in_(OPEN))
                    .order_by(col(Case.deadline_at))
                )
            ).all()
            follow_up = (
                await session.exec(
                    select(Case)
                    .where(
                        *within,
                        col(Case.follow_up_due_at) < now + FOLLOW_UP_WARNING,
                        col(Case.ppk_response).is_(None),
                    )
                    .order_by(col(Case.follow_up_due_at))
                )
            ).all()
        return OverdueCases(
            review=[case for case in late if case.status in REVIEW_PENDING],
            completion=[case for case in late if case.status == Status.COMPLETION],
            decision=[case for case in late if case.status in DECISION_PENDING],
            follow_up=[case for case in follow_up if _due(case) < now],
            follow_up_soon=[case for case in follow_up if _due(case) >= now],
        )

    async def answerable_case(self, code_text: str, *, chat_id: int) -> Case:
        """The case a reporter may add to now: theirs (or the one it was merged into), and
        still open."""
        async with self._sessions() as session:
            own = await reporters_case(session, code_text, self._prefix, chat_id)
            return await answerable(session, own)


def _due(case: Case) -> datetime:
    return as_utc(case.follow_up_due_at)  # type: ignore[arg-type]  # only cases that have one
