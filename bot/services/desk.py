"""The staff desk: moving cases through their lifecycle, notes, questions, assignment and
follow-up. Each change commits with its audit event, the reporter's notification and the
staff card's update (outbox rows) in one transaction.

Every change is compare-and-set: it is written only if the case still has the version read
at its start (or, for a button, the version its card showed), so of two officers acting on
one case at the same moment one wins and the other is told what happened (CaseChanged);
the reporter hears once, and the history never shows two moves from the same status."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rapidfuzz import fuzz
from sqlalchemy import func, or_
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import outbox
from bot.services.catalogue import STATUS_KEYS
from bot.services.codes import normalize_code
from bot.services.intake import EvidenceItem, evidence_row
from bot.services.related import RelatedCases, related_cases
from bot.services.staff import audit
from bot.services.staff_feed import StaffFeed, cases_owed_a_card
from storage.db import SessionFactory
from storage.models import Case, CaseEvent, Evidence, Reporter, utcnow

log = logging.getLogger(__name__)

STATUSES = STATUS_KEYS
# DESIGN §3. Rejected and closed are final.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("in_review", "rejected"),
    "in_review": ("needs_info", "forwarded", "rejected"),
    "needs_info": ("in_review", "rejected"),
    "forwarded": ("proven", "not_proven"),
    "proven": ("closed",),
    "not_proven": ("closed",),
    "rejected": (),
    "closed": (),
}
OPEN_STATUSES = ("received", "in_review", "needs_info", "forwarded")
SANCTIONS = ("none", "moral", "moderate", "severe")
NOTE_MAX = 1000
INBOX_PAGE = 10
# /inbox counts the cases it lists only this far past the page shown ("more than …").
INBOX_COUNT_LIMIT = 1000
# A reporter's answer that meets a staff change of the same case is applied again on top of
# it (it does not depend on what the reporter saw); this many times at most.
REPORTER_ATTEMPTS = 3


class CaseNotFound(LookupError):
    pass


class CaseChanged(Exception):
    """Someone else changed the case first (or the button pressed showed an older state):
    nothing was applied. `case` is the case as it now stands."""

    def __init__(self, case: Case) -> None:
        super().__init__(case.code)
        self.case = case


class CaseClosedForAnswers(LookupError):
    """The reporter answers a case that no longer waits for anything from them."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class TransitionNotAllowed(ValueError):
    def __init__(self, current: str, wanted: str) -> None:
        super().__init__(f"{current} -> {wanted}")
        self.current = current
        self.wanted = wanted
        self.allowed = TRANSITIONS.get(current, ())


@dataclass(frozen=True)
class InboxPage:
    cases: list[Case]
    total: int  # all of them, or a lower bound when `more`
    more: bool = False  # there are more than `total`


class DeskError(ValueError):
    """A request that cannot be done; `reason` is a stable key the bot translates."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Deadlines:
    review_days: int = 2
    decision_days: int = 7
    decision_days_needs_info: int = 14
    follow_up_days: int = 30


@dataclass
class CaseDetail:
    case: Case
    evidence: list[Evidence]
    events: list[CaseEvent]
    failed_notifications: int
    related: RelatedCases
    reporter_name: str | None = None
    reporter_phone: str | None = None


@dataclass
class OverdueCases:
    review: list[Case] = field(default_factory=list)
    decision: list[Case] = field(default_factory=list)
    follow_up: list[Case] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.review or self.decision or self.follow_up)


class Desk:
    def __init__(
        self,
        session_factory: SessionFactory,
        code_prefix: str,
        deadlines: Deadlines,
        staff_feed: StaffFeed | None = None,
        on_enqueued: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = session_factory
        self._prefix = code_prefix
        self.deadlines = deadlines
        self._feed = staff_feed or StaffFeed(None, "id")
        self._on_enqueued = on_enqueued

    # --- reading -----------------------------------------------------------------------

    async def case(self, code_text: str) -> Case:
        async with self._sessions() as session:
            return await self._case(session, code_text)

    async def detail(self, code_text: str, *, show_identity: bool) -> CaseDetail:
        async with self._sessions() as session:
            case = await self._case(session, code_text)
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
            if show_identity:
                reporter = await session.get(Reporter, case.reporter_id)
                if reporter is not None and reporter.identity == "identified":
                    detail.reporter_name, detail.reporter_phone = reporter.name, reporter.phone
            return detail

    async def reporter_locale(self, code_text: str) -> str:
        async with self._sessions() as session:
            case = await self._case(session, code_text)
            reporter = await session.get(Reporter, case.reporter_id)
        return reporter.locale if reporter else "id"

    async def inbox(
        self, *, statuses: Sequence[str], assignee_id: int | None, page: int
    ) -> InboxPage:
        """Open cases (or those of `statuses`), oldest first: a page and how many there are,
        counted up to INBOX_COUNT_LIMIT past the page (an exact count of a few hundred
        thousand open cases took 30 ms of the 35 ms /inbox took at a million cases)."""
        conditions = [col(Case.status).in_(statuses)]
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

    async def find(self, text: str, limit: int = 10) -> list[Case]:
        """By code, or by civil-servant name or agency (fuzzy on names)."""
        code = normalize_code(text, self._prefix)
        async with self._sessions() as session:
            if code is not None:
                found = await self._by_code(session, code)
                if found is not None:
                    return [found]
            term = " ".join(text.casefold().split())
            if not term:
                return []
            words = term.split()[:5]
            # Narrow in SQL by any typed word, then rank by how alike the names are. Typed
            # % and _ are letters, not LIKE wildcards (`/find %` listed every case).
            candidates = (
                await session.exec(
                    select(Case)
                    .where(
                        or_(
                            *(
                                func.lower(Case.asn_name).contains(word, autoescape=True)
                                for word in words
                            ),
                            *(
                                col(Case.agency_key).contains(word, autoescape=True)
                                for word in words
                            ),
                        )
                    )
                    .order_by(col(Case.created_at).desc())
                    .limit(500)
                )
            ).all()
        ranked = sorted(
            candidates,
            key=lambda case: max(
                fuzz.token_set_ratio(term, case.asn_name.casefold()),
                fuzz.token_set_ratio(term, case.agency_key),
            ),
            reverse=True,
        )
        return ranked[:limit]

    async def overdue(self, now: datetime | None = None) -> OverdueCases:
        now = now or utcnow()
        result = OverdueCases()
        deadlines = self.deadlines
        async with self._sessions() as session:
            result.review = list(
                (
                    await session.exec(
                        select(Case)
                        .where(
                            Case.status == "received",
                            col(Case.created_at) < now - timedelta(days=deadlines.review_days),
                        )
                        .order_by(col(Case.created_at))
                    )
                ).all()
            )
            decision_open = col(Case.status).in_(OPEN_STATUSES)
            result.decision = list(
                (
                    await session.exec(
                        select(Case)
                        .where(
                            decision_open,
                            or_(
                                (col(Case.info_requested).is_(False))
                                & (
                                    col(Case.created_at)
                                    < now - timedelta(days=deadlines.decision_days)
                                ),
                                col(Case.created_at)
                                < now - timedelta(days=deadlines.decision_days_needs_info),
                            ),
                        )
                        .order_by(col(Case.created_at))
                    )
                ).all()
            )
            result.follow_up = list(
                (
                    await session.exec(
                        select(Case)
                        .where(
                            col(Case.follow_up_due_at) < now,
                            col(Case.followed_up_at).is_(None),
                        )
                        .order_by(col(Case.follow_up_due_at))
                    )
                ).all()
            )
        return result

    # --- changing ----------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _changing(
        self, code_text: str, *, seen_version: int | None = None
    ) -> AsyncIterator[tuple[AsyncSession, Case]]:
        """One change to one case, committed with everything it stages, or CaseChanged if
        the case moved on since it was read here (or since `seen_version` was shown)."""
        try:
            async with self._sessions() as session, session.begin():
                case = await self._case(session, code_text)
                if seen_version is not None and case.version != seen_version:
                    raise CaseChanged(case)
                yield session, case
        except StaleDataError:
            raise CaseChanged(await self.case(code_text)) from None
        self._on_enqueued()

    async def set_status(
        self,
        code_text: str,
        to_status: str,
        *,
        actor_id: int,
        public_note: str | None = None,
        seen_version: int | None = None,
    ) -> tuple[Case, str]:
        """Returns the case and the status it came from."""
        if to_status not in STATUSES:
            raise DeskError("unknown_status")
        async with self._changing(code_text, seen_version=seen_version) as (session, case):
            previous = case.status
            if to_status not in TRANSITIONS[previous]:
                raise TransitionNotAllowed(previous, to_status)
            await self._move(session, case, to_status, actor_id=actor_id, note=public_note)
            self._feed.card(session, case.id)  # type: ignore[arg-type]
        return case, previous

    async def add_note(self, code_text: str, text: str, *, actor_id: int) -> Case:
        async with self._sessions() as session, session.begin():
            case = await self._case(session, code_text)
            audit(session, case.id, actor_id=actor_id, action="note", detail=text[:NOTE_MAX])  # type: ignore[arg-type]
        return case

    async def ask(self, code_text: str, question: str, *, actor_id: int) -> Case:
        """Relay a question to the reporter; the case waits on them (needs_info)."""
        async with self._changing(code_text) as (session, case):
            reporter = await session.get(Reporter, case.reporter_id)
            if reporter is None or reporter.chat_id is None:
                raise DeskError("reporter_unreachable")
            if case.status == "received":
                await self._move(session, case, "in_review", actor_id=actor_id, notify=False)
            if case.status not in ("in_review", "needs_info"):
                raise TransitionNotAllowed(case.status, "needs_info")
            if case.status == "in_review":
                await self._move(session, case, "needs_info", actor_id=actor_id, notify=False)
            case.info_requested = True
            session.add(case)
            audit(session, case.id, actor_id=actor_id, action="question", detail=question)  # type: ignore[arg-type]
            outbox.enqueue(
                session,
                chat_id=reporter.chat_id,
                kind="question",
                params={"code": case.code, "question": question},
                locale=reporter.locale,
                case_id=case.id,
            )
            self._feed.card(session, case.id)  # type: ignore[arg-type]
        return case

    async def answerable_case(self, code_text: str, *, chat_id: int) -> Case:
        """The case a reporter may answer now: theirs, and still open. Any other code, one
        that does not exist included, is CaseNotFound: a forged button must not tell
        whether a code exists."""
        async with self._sessions() as session:
            case = await self._reporters_case(session, code_text, chat_id)
        if case.status not in OPEN_STATUSES:
            raise CaseClosedForAnswers(case.status)
        return case

    async def record_answer(
        self,
        code_text: str,
        *,
        chat_id: int,
        text: str | None,
        evidence: Sequence[EvidenceItem],
    ) -> Case:
        """The reporter's answer to a question: attached to the case, which goes back to
        review if it was waiting on them, and relayed to the staff chat. Only the case's own
        reporter may answer, and only while the case is open."""
        for attempt in range(1, REPORTER_ATTEMPTS + 1):
            try:
                return await self._record_answer(code_text, chat_id, text, evidence)
            except CaseChanged:
                if attempt == REPORTER_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    async def _record_answer(
        self, code_text: str, chat_id: int, text: str | None, evidence: Sequence[EvidenceItem]
    ) -> Case:
        try:
            async with self._sessions() as session, session.begin():
                case = await self._reporters_case(session, code_text, chat_id)
                if case.status not in OPEN_STATUSES:
                    raise CaseClosedForAnswers(case.status)
                rows = []
                for item in evidence:
                    row = evidence_row(item, case.id)  # type: ignore[arg-type]
                    row.source = "answer"
                    session.add(row)
                    rows.append(row)
                event = audit(
                    session,
                    case.id,
                    actor="reporter",
                    actor_id=None,
                    action="answer",
                    detail=text or None,
                )
                if case.status == "needs_info":
                    await self._move(session, case, "in_review", actor_id=None, notify=False)
                await session.flush()
                self._feed.answer(
                    session,
                    case.id,  # type: ignore[arg-type]
                    event.id,  # type: ignore[arg-type]
                    [row.id for row in rows],  # type: ignore[misc]
                )
                self._feed.card(session, case.id)  # type: ignore[arg-type]
        except StaleDataError:
            raise CaseChanged(await self.case(code_text)) from None
        self._on_enqueued()
        return case

    async def assign(
        self, code_text: str, assignee_id: int, *, actor_id: int, seen_version: int | None = None
    ) -> Case:
        async with self._changing(code_text, seen_version=seen_version) as (session, case):
            self._assign(session, case, assignee_id, actor_id=actor_id)
            self._feed.card(session, case.id)  # type: ignore[arg-type]
        return case

    async def take(self, code_text: str, *, actor_id: int, seen_version: int | None = None) -> Case:
        """Assign to oneself and start the review if the case is new."""
        async with self._changing(code_text, seen_version=seen_version) as (session, case):
            self._assign(session, case, actor_id, actor_id=actor_id)
            if case.status == "received":
                await self._move(session, case, "in_review", actor_id=actor_id)
            self._feed.card(session, case.id)  # type: ignore[arg-type]
        return case

    @staticmethod
    def _assign(session: AsyncSession, case: Case, assignee_id: int, *, actor_id: int) -> None:
        previous = case.assignee_id
        case.assignee_id = assignee_id
        session.add(case)
        audit(
            session,
            case.id,
            actor_id=actor_id,
            action="assigned",
            detail=f"{previous or '-'} -> {assignee_id}",
        )

    async def record_recommendation(
        self, code_text: str, recipient: str, *, actor_id: int, now: datetime | None = None
    ) -> Case:
        now = now or utcnow()
        async with self._changing(code_text) as (session, case):
            if case.status != "proven":
                raise DeskError("not_proven")
            case.recommendation_to = recipient
            case.recommendation_sent_at = now
            case.follow_up_due_at = now + timedelta(days=self.deadlines.follow_up_days)
            session.add(case)
            audit(session, case.id, actor_id=actor_id, action="recommendation", detail=recipient)  # type: ignore[arg-type]
        return case

    async def record_follow_up(
        self, code_text: str, sanction: str, *, actor_id: int, note: str | None = None
    ) -> Case:
        if sanction not in SANCTIONS:
            raise DeskError("bad_sanction")
        async with self._changing(code_text) as (session, case):
            if case.recommendation_sent_at is None:
                raise DeskError("no_recommendation")
            case.sanction = sanction
            case.followed_up_at = utcnow()
            session.add(case)
            audit(
                session,
                case.id,
                actor_id=actor_id,
                action="follow_up",  # type: ignore[arg-type]
                detail=f"{sanction}: {note}" if note else sanction,
            )
        return case

    async def refresh_card(self, case_id: int) -> None:
        """Stage the card again (a stale button was pressed: show the case as it is)."""
        async with self._sessions() as session, session.begin():
            self._feed.card(session, case_id)
        self._on_enqueued()

    async def notify_staff(self, text: str) -> None:
        """A desk-wide notice to the staff chat (the overdue reminder)."""
        async with self._sessions() as session, session.begin():
            self._feed.notice(session, text)
        self._on_enqueued()

    async def stage_missing_cards(self, limit: int = 20) -> int:
        """Cards for cases that have none (see staff_feed.cases_owed_a_card)."""
        if self._feed.chat_id is None:
            return 0
        async with self._sessions() as session, session.begin():
            owed = await cases_owed_a_card(session, limit)
            for case_id in owed:
                self._feed.card(session, case_id)
        if owed:
            self._on_enqueued()
        return len(owed)

    # --- helpers -----------------------------------------------------------------------

    async def _by_code(self, session: AsyncSession, code: str) -> Case | None:
        return (await session.exec(select(Case).where(Case.code == code))).first()

    async def _case(self, session: AsyncSession, code_text: str) -> Case:
        code = normalize_code(code_text, self._prefix)
        case = await self._by_code(session, code) if code else None
        if case is None:
            raise CaseNotFound(code_text)
        return case

    async def _reporters_case(self, session: AsyncSession, code_text: str, chat_id: int) -> Case:
        case = await self._case(session, code_text)
        reporter = await session.get(Reporter, case.reporter_id)
        if reporter is None or reporter.chat_id != chat_id:
            raise CaseNotFound(code_text)
        return case

    async def _move(
        self,
        session: AsyncSession,
        case: Case,
        to_status: str,
        *,
        actor_id: int | None,
        note: str | None = None,
        notify: bool = True,
    ) -> None:
        previous = case.status
        case.status = to_status
        case.status_changed_at = utcnow()
        if to_status == "proven":
            case.proven_at = case.status_changed_at
        case.public_note = note
        session.add(case)
        audit(
            session,
            case.id,  # type: ignore[arg-type]
            actor="staff" if actor_id is not None else "reporter",
            actor_id=actor_id,
            action="status",
            from_status=previous,
            to_status=to_status,
            detail=note,
        )
        if not notify:
            return
        reporter = await session.get(Reporter, case.reporter_id)
        if reporter is not None and reporter.chat_id is not None:
            outbox.enqueue(
                session,
                chat_id=reporter.chat_id,
                kind="status_changed",
                params={"code": case.code, "status": to_status, "note": note},
                locale=reporter.locale,
                case_id=case.id,
            )
