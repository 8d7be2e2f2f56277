"""The staff desk: moving cases through their lifecycle, notes, questions, assignment and
follow-up. Each change commits with its audit event, the reporter's notification and the
staff card's update (outbox rows) in one transaction. Reading cases is
services/case_queries.py; the lifecycle's rules are services/lifecycle.py.

Every change is compare-and-set: it is written only if the case still has the version read
at its start (or, for a button, the version its card showed), so of two officers acting on
one case at the same moment one wins and the other is told what happened (CaseChanged);
the reporter hears once, and the history never shows two moves from the same status."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import outbox
from bot.services.case_queries import (
    CaseClosedForAnswers,
    CaseNotFound,
    case_by_code,
    reporters_case,
)
from bot.services.intake import EvidenceItem, evidence_row
from bot.services.lifecycle import (
    OPEN,
    SANCTIONS,
    STATUSES,
    Deadlines,
    Status,
    TransitionNotAllowed,
    audit,
    can_move,
)
from bot.services.offices import RI, covers, is_office
from bot.services.staff import StaffMember
from bot.services.staff_feed import StaffFeed, cases_owed_a_card
from storage.db import SessionFactory
from storage.models import Case, Reporter, utcnow

NOTE_MAX = 1000
# A reporter's answer that meets a staff change of the same case is applied again on top of
# it (it does not depend on what the reporter saw); this many times at most.
REPORTER_ATTEMPTS = 3


class CaseChanged(Exception):
    """Someone else changed the case first (or the button pressed showed an older state):
    nothing was applied. `case` is the case as it now stands."""

    def __init__(self, case: Case) -> None:
        super().__init__(case.code)
        self.case = case


class DeskError(ValueError):
    """A request that cannot be done; `reason` is a stable key the bot translates."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Desk:
    def __init__(
        self,
        session_factory: SessionFactory,
        code_prefix: str,
        deadlines: Deadlines,
        *,
        staff_feed: StaffFeed,
        on_enqueued: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = session_factory
        self._prefix = code_prefix
        self.deadlines = deadlines
        self._feed = staff_feed
        self._on_enqueued = on_enqueued

    async def _current(self, code_text: str) -> Case:
        async with self._sessions() as session:
            return await case_by_code(session, code_text, self._prefix)

    async def _case_in_scope(self, session: AsyncSession, code_text: str, scope: str) -> Case:
        """The case, if staff of office `scope` may act on it; any other is CaseNotFound,
        the same answer as a code that does not exist."""
        case = await case_by_code(session, code_text, self._prefix)
        if not covers(scope, case.office_code):
            raise CaseNotFound(code_text)
        return case

    @contextlib.asynccontextmanager
    async def _changing(
        self, code_text: str, *, scope: str = RI, seen_version: int | None = None
    ) -> AsyncIterator[tuple[AsyncSession, Case]]:
        """One change to one case, committed with everything it stages, or CaseChanged if
        the case moved on since it was read here (or since `seen_version` was shown)."""
        try:
            async with self._sessions() as session, session.begin():
                case = await self._case_in_scope(session, code_text, scope)
                if seen_version is not None and case.version != seen_version:
                    raise CaseChanged(case)
                yield session, case
        except StaleDataError:
            raise CaseChanged(await self._current(code_text)) from None
        self._on_enqueued()

    async def set_status(
        self,
        code_text: str,
        to_status: str,
        *,
        actor_id: int,
        public_note: str | None = None,
        seen_version: int | None = None,
        scope: str = RI,
    ) -> tuple[Case, str]:
        """Returns the case and the status it came from."""
        if to_status not in STATUSES:
            raise DeskError("unknown_status")
        async with self._changing(code_text, scope=scope, seen_version=seen_version) as (
            session,
            case,
        ):
            previous = case.status
            if not can_move(previous, to_status):
                raise TransitionNotAllowed(previous, to_status)
            await self._move(session, case, to_status, actor_id=actor_id, note=public_note)
            await self._feed.card(session, case)
        return case, previous

    async def add_note(self, code_text: str, text: str, *, actor_id: int, scope: str = RI) -> Case:
        async with self._sessions() as session, session.begin():
            case = await self._case_in_scope(session, code_text, scope)
            audit(session, case.id, actor_id=actor_id, action="note", detail=text[:NOTE_MAX])  # type: ignore[arg-type]
        return case

    async def ask(self, code_text: str, question: str, *, actor_id: int, scope: str = RI) -> Case:
        """Relay a question to the reporter; the case waits on them (needs_info)."""
        async with self._changing(code_text, scope=scope) as (session, case):
            reporter = await session.get(Reporter, case.reporter_id)
            if reporter is None or reporter.chat_id is None:
                raise DeskError("reporter_unreachable")
            if case.status == Status.RECEIVED:
                await self._move(session, case, Status.IN_REVIEW, actor_id=actor_id, notify=False)
            if case.status not in (Status.IN_REVIEW, Status.NEEDS_INFO):
                raise TransitionNotAllowed(case.status, Status.NEEDS_INFO)
            if case.status == Status.IN_REVIEW:
                await self._move(session, case, Status.NEEDS_INFO, actor_id=actor_id, notify=False)
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
            await self._feed.card(session, case)
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
                case = await reporters_case(session, code_text, self._prefix, chat_id)
                if case.status not in OPEN:
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
                if case.status == Status.NEEDS_INFO:
                    await self._move(session, case, Status.IN_REVIEW, actor_id=None, notify=False)
                await session.flush()
                await self._feed.answer(
                    session,
                    case,
                    event.id,  # type: ignore[arg-type]
                    [row.id for row in rows],  # type: ignore[misc]
                )
                await self._feed.card(session, case)
        except StaleDataError:
            raise CaseChanged(await self._current(code_text)) from None
        self._on_enqueued()
        return case

    async def assign(
        self,
        code_text: str,
        assignee: StaffMember,
        *,
        actor_id: int,
        seen_version: int | None = None,
        scope: str = RI,
    ) -> Case:
        """Assign to a staff member of the case's office or of one above it."""
        async with self._changing(code_text, scope=scope, seen_version=seen_version) as (
            session,
            case,
        ):
            if not covers(assignee.office, case.office_code):
                raise DeskError("assignee_outside_office")
            assignee_id = assignee.user_id
            self._assign(session, case, assignee_id, actor_id=actor_id)
            await self._feed.card(session, case)
        return case

    async def take(
        self,
        code_text: str,
        *,
        actor_id: int,
        seen_version: int | None = None,
        scope: str = RI,
    ) -> Case:
        """Assign to oneself and start the review if the case is new."""
        async with self._changing(code_text, scope=scope, seen_version=seen_version) as (
            session,
            case,
        ):
            self._assign(session, case, actor_id, actor_id=actor_id)
            if case.status == Status.RECEIVED:
                await self._move(session, case, Status.IN_REVIEW, actor_id=actor_id)
            await self._feed.card(session, case)
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
        self,
        code_text: str,
        recipient: str,
        *,
        actor_id: int,
        now: datetime | None = None,
        scope: str = RI,
    ) -> Case:
        now = now or utcnow()
        async with self._changing(code_text, scope=scope) as (session, case):
            if case.status != Status.PROVEN:
                raise DeskError("not_proven")
            case.recommendation_to = recipient
            case.recommendation_sent_at = now
            case.follow_up_due_at = now + timedelta(days=self.deadlines.follow_up_days)
            session.add(case)
            audit(session, case.id, actor_id=actor_id, action="recommendation", detail=recipient)  # type: ignore[arg-type]
        return case

    async def record_follow_up(
        self,
        code_text: str,
        sanction: str,
        *,
        actor_id: int,
        note: str | None = None,
        scope: str = RI,
    ) -> Case:
        if sanction not in SANCTIONS:
            raise DeskError("bad_sanction")
        async with self._changing(code_text, scope=scope) as (session, case):
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

    async def transfer(
        self,
        code_text: str,
        to_office: str,
        reason: str,
        *,
        actor_id: int,
        scope: str = RI,
    ) -> tuple[Case, str]:
        """Pelimpahan: the case moves to another office (up, down or sideways) with a reason;
        the history records it, the old card says where it went, the new office's group
        gets the card, and the reporter is told which office now handles it. Returns the
        case and the office it came from."""
        if not is_office(to_office):
            raise DeskError("unknown_office")
        async with self._changing(code_text, scope=scope) as (session, case):
            previous = case.office_code
            if to_office == previous:
                raise DeskError("same_office")
            new_chat = await self._feed.offices.group_for(to_office)
            if case.card_chat_id != new_chat:
                self._feed.card_moved(session, case)
                case.staff_card_message_id, case.card_chat_id = None, None
            case.office_code = to_office
            case.assignee_id = None  # the new office decides who handles it
            session.add(case)
            audit(
                session,
                case.id,
                actor_id=actor_id,
                action="transfer",
                detail=f"{previous} -> {to_office}: {reason}",
            )
            reporter = await session.get(Reporter, case.reporter_id)
            if reporter is not None and reporter.chat_id is not None:
                outbox.enqueue(
                    session,
                    chat_id=reporter.chat_id,
                    kind="transferred",
                    params={"code": case.code, "office": to_office},
                    locale=reporter.locale,
                    case_id=case.id,
                )
            await self._feed.card(session, case)
        return case, previous

    async def refresh_card(self, case_id: int) -> None:
        """Stage the card again (a stale button was pressed: show the case as it is)."""
        async with self._sessions() as session, session.begin():
            case = await session.get(Case, case_id)
            if case is not None:
                await self._feed.card(session, case)
        self._on_enqueued()

    async def notify_staff(self, chat_id: int, text: str) -> None:
        """A notice to one office's staff group (its overdue reminder)."""
        async with self._sessions() as session, session.begin():
            self._feed.notice(session, chat_id, text)
        self._on_enqueued()

    async def stage_missing_cards(self, limit: int = 20) -> int:
        """Cards for cases that have none (see staff_feed.cases_owed_a_card), where an
        office up the line now has a group."""
        staged = 0
        async with self._sessions() as session, session.begin():
            for case in await cases_owed_a_card(session, limit):
                if await self._feed.chat_for(case) is not None:
                    await self._feed.card(session, case)
                    staged += 1
        if staged:
            self._on_enqueued()
        return staged

    # --- helpers -----------------------------------------------------------------------

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
        if to_status == Status.PROVEN:
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
