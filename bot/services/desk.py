"""The staff desk: moving cases through the procedure (services/lifecycle.py), registering
them, extending and deciding, merging duplicates, taking reports up as findings, notes,
questions, assignment, transfer and follow-up. Each change commits with its audit event,
the reporters' notifications and the staff card's update (outbox rows) in one transaction.
Reading cases is services/case_queries.py; the periods are services/deadlines.py.

Every change is compare-and-set: it is written only if the case still has the version read
at its start (or, for a button, the version its card showed), so of two officers acting on
one case at the same moment one wins and the other is told what happened (CaseChanged);
the reporter hears once, and the history never shows two moves from the same status."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import outbox
from bot.services.case_queries import (
    CaseNotFound,
    answerable,
    case_by_code,
    reporters_case,
)
from bot.services.deadlines import completion_deadline, decision_deadline, review_deadline
from bot.services.elections import KNOWN_ELECTIONS, office_for, regime_of
from bot.services.follow_up import PpkResponse
from bot.services.intake import EvidenceItem, evidence_row
from bot.services.lifecycle import (
    DECISION_PENDING,
    FINAL,
    NEEDS_NOTE,
    NOT_REGISTERED_REASONS,
    OPEN,
    SANCTIONS,
    STATUSES,
    Status,
    TransitionNotAllowed,
    audit,
    can_move,
)
from bot.services.offices import RI, covers, is_office
from bot.services.ppk import derive_ppk
from bot.services.regions import zone_of
from bot.services.register import next_number, register_number
from bot.services.staff import StaffMember
from bot.services.staff_feed import StaffFeed, cases_owed_a_card
from storage.db import SessionFactory
from storage.models import Case, Reporter, as_utc, utcnow

NOTE_MAX = 1000
# A reporter's answer that meets a staff change of the same case is applied again on top of
# it (it does not depend on what the reporter saw); this many times at most.
REPORTER_ATTEMPTS = 3
# Open, and not yet registered: may still be returned for completion or taken up as a
# finding.
BEFORE_REGISTRATION = (Status.RECEIVED, Status.INITIAL_REVIEW, Status.COMPLETION)


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
        *,
        staff_feed: StaffFeed,
        register_format: str,
        follow_up_days: int = 30,
        on_enqueued: Callable[[], None] = lambda: None,
    ) -> None:
        self._sessions = session_factory
        self._prefix = code_prefix
        self._feed = staff_feed
        self._register_format = register_format
        self.follow_up_days = follow_up_days
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
        except (StaleDataError, CaseChanged):
            # Read again outside the rolled-back transaction, which expired what it held.
            raise CaseChanged(await self._current(code_text)) from None
        self._on_enqueued()

    # --- the procedure ------------------------------------------------------------------

    async def set_status(
        self,
        code_text: str,
        to_status: str,
        *,
        actor_id: int,
        public_note: str | None = None,
        reason: str | None = None,
        seen_version: int | None = None,
        scope: str = RI,
    ) -> tuple[Case, str]:
        """Move a case on; returns it and the status it came from. Registration takes a
        register number; completion needs the missing items (`public_note`), a stop its
        reason, not registering one of NOT_REGISTERED_REASONS."""
        if to_status not in STATUSES:
            raise DeskError("unknown_status")
        if to_status == Status.MERGED:
            raise DeskError("merge_with_command")
        if to_status in NEEDS_NOTE and not public_note:
            raise DeskError(f"{to_status}_needs_note")
        if to_status == Status.NOT_REGISTERED and reason not in NOT_REGISTERED_REASONS:
            raise DeskError("not_registered_reason")
        async with self._changing(code_text, scope=scope, seen_version=seen_version) as (
            session,
            case,
        ):
            previous = case.status
            if not can_move(previous, to_status):
                raise TransitionNotAllowed(previous, to_status)
            if to_status == Status.REGISTERED:
                await self._register(session, case)
            if to_status == Status.NOT_REGISTERED:
                case.outcome_reason = reason
            await self._move(session, case, to_status, actor_id=actor_id, note=public_note)
            await self._feed.card(session, case)
        return case, previous

    async def _register(self, session: AsyncSession, case: Case) -> None:
        """Registrasi: the formal requirements are met (Perbawaslu 7/2022 Pasal 15(3)): for
        a report, a reporter with a name and an address; the election is known (it decides
        the period); then the office's next number."""
        if case.election not in KNOWN_ELECTIONS:
            raise DeskError("election_unknown")
        if case.kind == "report":
            reporter = await session.get(Reporter, case.reporter_id)
            if reporter is None or not (reporter.name and reporter.address):
                raise DeskError("formal_requirements")
        now = utcnow()
        local_day = now.astimezone(zone_of(case.region_code)).date()
        number = await next_number(session, case.office_code, local_day.year, case.kind)
        case.register_number = register_number(
            self._register_format,
            number=number,
            kind=case.kind,
            election=case.election,
            office_code=case.office_code,
            on=local_day,
        )
        case.registered_at = now

    async def extend(self, code_text: str, reason: str, *, actor_id: int, scope: str = RI) -> Case:
        """More information is needed: the decision period runs on by the extension the
        law allows (UU 7/2017 Pasal 454(8); UU 1/2015 Pasal 134(6)), once."""
        async with self._changing(code_text, scope=scope) as (session, case):
            if case.status not in DECISION_PENDING:
                raise DeskError("extend_not_pending")
            if case.extended:
                raise DeskError("already_extended")
            case.extended = True
            case.deadline_at = decision_deadline(
                case.registered_at,  # type: ignore[arg-type]
                case.election,
                zone_of(case.region_code),
                extended=True,
            )
            session.add(case)
            audit(session, case.id, actor_id=actor_id, action="extended", detail=reason)
            await self._notify_reporters(session, case, "extended", {"note": reason})
            await self._feed.card(session, case)
        return case

    async def set_election(
        self, code_text: str, election: str, *, actor_id: int, scope: str = RI
    ) -> Case:
        """Staff say which election a case concerns (the reporter may not have known). A
        governor's election belongs to the province's office: the case moves there."""
        if election not in KNOWN_ELECTIONS:
            raise DeskError("unknown_election")
        async with self._changing(code_text, scope=scope) as (session, case):
            if case.registered_at is not None and case.election != election:
                raise DeskError("election_after_registration")
            previous = case.election
            case.election = election
            if case.status in (Status.RECEIVED, Status.INITIAL_REVIEW):
                case.deadline_at = review_deadline(
                    case.created_at, election, zone_of(case.region_code)
                )
            session.add(case)
            audit(
                session,
                case.id,
                actor_id=actor_id,
                action="election",
                detail=f"{previous} -> {election}",
            )
            # A governor's election is the province's business: a case routed by its old
            # election goes where the new one belongs, even from a regency's desk that will
            # no longer see it. One transferred by hand stays where it was sent.
            wanted_office = office_for(election, case.region_code)
            routed = case.office_code == office_for(previous, case.region_code)
            if routed and wanted_office != case.office_code:
                await self._move_office(
                    session, case, wanted_office, actor_id=actor_id, reason=None
                )
            await self._feed.card(session, case)
        return case

    async def merge(
        self, code_text: str, into_text: str, *, actor_id: int, scope: str = RI
    ) -> tuple[Case, Case]:
        """A duplicate (the same civil servant, the same event) is merged into the case that
        carries on: its status becomes merged, its reporter is told and from then on hears
        the surviving case's news; statistics count the event once. Returns both."""
        async with self._changing(code_text, scope=scope) as (session, case):
            survivor = await self._case_in_scope(session, into_text, scope)
            if survivor.id == case.id:
                raise DeskError("merge_same")
            if case.status not in OPEN:
                raise DeskError("merge_closed")
            if survivor.status in FINAL:
                raise DeskError("merge_into_closed")
            # Cases merged into this one follow it into the survivor.
            await session.exec(
                update(Case)
                .where(col(Case.merged_into_id) == case.id)
                .values(merged_into_id=survivor.id, version=Case.version + 1)
            )  # type: ignore[call-overload]
            case.merged_into_id = survivor.id
            await self._move(session, case, Status.MERGED, actor_id=actor_id, notify=False)
            audit(session, survivor.id, actor_id=actor_id, action="merged_in", detail=case.code)
            await self._notify_reporters(
                session, case, "merged", {"into": survivor.code, "office": survivor.office_code}
            )
            await self._feed.card(session, case)
            await self._feed.card(session, survivor)
        return case, survivor

    async def take_up_as_finding(
        self, code_text: str, *, actor_id: int, seen_version: int | None = None, scope: str = RI
    ) -> Case:
        """An anonymous report (or one that cannot be registered as a report) taken up as
        the office's own finding (temuan): numbered as a finding, registered without a
        reporter's formal requirements. Its informant is told once and keeps hearing the
        status, as anyone holding the code may check it."""
        async with self._changing(code_text, scope=scope, seen_version=seen_version) as (
            session,
            case,
        ):
            if case.kind == "finding":
                raise DeskError("already_finding")
            if case.status not in BEFORE_REGISTRATION:
                raise DeskError("finding_after_registration")
            case.kind = "finding"
            session.add(case)
            audit(session, case.id, actor_id=actor_id, action="finding")
            if case.status == Status.COMPLETION:
                await self._move(
                    session, case, Status.INITIAL_REVIEW, actor_id=actor_id, notify=False
                )
            await self._notify_reporters(session, case, "taken_up", {"office": case.office_code})
            await self._feed.card(session, case)
        return case

    async def expire_completions(self, now: datetime | None = None) -> list[str]:
        """Reports returned for completion and not completed in time are not registered
        (the reporter is told); returns their codes."""
        now = now or utcnow()
        async with self._sessions() as session:
            due = (
                await session.exec(
                    select(Case.code).where(
                        Case.status == Status.COMPLETION, col(Case.deadline_at) < now
                    )
                )
            ).all()
        expired = []
        for case_code in due:
            try:
                async with self._changing(case_code) as (session, case):
                    if case.status != Status.COMPLETION:
                        continue  # completed meanwhile
                    case.outcome_reason = "not_completed"
                    await self._move(
                        session, case, Status.NOT_REGISTERED, actor_id=None, actor="system"
                    )
                    await self._feed.card(session, case)
                expired.append(case_code)
            except CaseChanged:
                continue  # the reporter or an officer got there first
        return expired

    # --- notes, questions, answers -------------------------------------------------------

    async def add_note(
        self,
        code_text: str,
        text: str,
        *,
        actor_id: int,
        evidence: Sequence[EvidenceItem] = (),
        scope: str = RI,
    ) -> Case:
        """An internal note; with files, a record of the examination (a statement, a
        document), kept as the case's evidence."""
        async with self._sessions() as session, session.begin():
            case = await self._case_in_scope(session, code_text, scope)
            for item in evidence:
                row = evidence_row(item, case.id)  # type: ignore[arg-type]
                row.source = "staff"
                session.add(row)
            detail = text[:NOTE_MAX] if text else None
            audit(session, case.id, actor_id=actor_id, action="note", detail=detail)
            if evidence:
                audit(
                    session,
                    case.id,
                    actor_id=actor_id,
                    action="staff_files",
                    detail=str(len(evidence)),
                )
        return case

    async def ask(self, code_text: str, question: str, *, actor_id: int, scope: str = RI) -> Case:
        """Relay a question to the reporter (their answer comes back under the code)."""
        async with self._changing(code_text, scope=scope) as (session, case):
            reporter = await session.get(Reporter, case.reporter_id)
            if reporter is None or reporter.chat_id is None:
                raise DeskError("reporter_unreachable")
            if case.status not in OPEN:
                raise DeskError("ask_closed")
            if case.status == Status.RECEIVED:
                await self._move(
                    session, case, Status.INITIAL_REVIEW, actor_id=actor_id, notify=False
                )
            audit(session, case.id, actor_id=actor_id, action="question", detail=question)  # type: ignore[arg-type]
            outbox.enqueue(
                session,
                chat_id=reporter.chat_id,
                kind="question",
                params={"code": case.code, "question": question, "office": case.office_code},
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
        """A reporter's answer or addition: attached to their case (or, once it was merged,
        to the case it was merged into), which goes back to initial review if it waited for
        completion, and relayed to the office's group. Only the case's own reporter may
        add to it, and only while it is open."""
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
                own = await reporters_case(session, code_text, self._prefix, chat_id)
                case = await answerable(session, own)
                # Added by the reporter of a case merged into this one: not the reporter /ask
                # reaches, whose question it does not answer (services/lookup.awaiting_reporter)
                # and whose report it does not complete.
                merged = own.id != case.id
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
                    action="merged_answer" if merged else "answer",
                    detail=text or None,
                )
                if rows:
                    audit(
                        session,
                        case.id,
                        actor="reporter",
                        actor_id=None,
                        action="answer_files",
                        detail=str(len(rows)),
                    )
                if case.status == Status.COMPLETION and not merged:
                    await self._move(
                        session, case, Status.INITIAL_REVIEW, actor_id=None, actor="reporter"
                    )
                await session.flush()
                await self._feed.answer(
                    session,
                    case,
                    event.id,  # type: ignore[arg-type]
                    [row.id for row in rows],  # type: ignore[misc]
                    # Marked, so that staff do not quote it back to the other reporter.
                    merged_from=own.code if merged else None,
                )
                await self._feed.card(session, case)
        except StaleDataError:
            raise CaseChanged(await self._current(code_text)) from None
        self._on_enqueued()
        return case

    # --- who handles it -----------------------------------------------------------------

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
            self._assign(session, case, assignee.user_id, actor_id=actor_id)
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
        """Assign to oneself and start the initial review if the case is new."""
        async with self._changing(code_text, scope=scope, seen_version=seen_version) as (
            session,
            case,
        ):
            if case.status in FINAL:
                raise DeskError("take_closed")
            # Taking a colleague's case is done on purpose (/assign CODE me), not by a press
            # on a card that still offers Take. One's own (assigned by /assign) is started.
            if case.assignee_id not in (None, actor_id):
                raise DeskError("taken_by_other")
            if case.assignee_id == actor_id and case.status != Status.RECEIVED:
                raise DeskError("already_yours")
            if case.assignee_id is None:
                self._assign(session, case, actor_id, actor_id=actor_id)
            if case.status == Status.RECEIVED:
                await self._move(session, case, Status.INITIAL_REVIEW, actor_id=actor_id)
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

    async def transfer(
        self,
        code_text: str,
        to_office: str,
        reason: str,
        *,
        actor_id: int,
        scope: str = RI,
    ) -> tuple[Case, str]:
        """Pelimpahan (Perbawaslu 7/2022 Pasal 20): the case moves to another office (up,
        down or sideways) with a reason; the history records it, the old card says where it
        went, the new office's group gets the card, and the reporter is told which office
        now handles it. Returns the case and the office it came from."""
        if not is_office(to_office):
            raise DeskError("unknown_office")
        async with self._changing(code_text, scope=scope) as (session, case):
            previous = case.office_code
            if to_office == previous:
                raise DeskError("same_office")
            await self._move_office(session, case, to_office, actor_id=actor_id, reason=reason)
            await self._feed.card(session, case)
        return case, previous

    async def _move_office(
        self,
        session: AsyncSession,
        case: Case,
        to_office: str,
        *,
        actor_id: int,
        reason: str | None,
    ) -> None:
        previous = case.office_code
        new_chat = await self._feed.offices.group_for(to_office)
        if case.card_chat_id != new_chat:
            self._feed.card_moved(session, case)
            case.staff_card_message_id, case.card_chat_id = None, None
        case.office_code = to_office
        case.assignee_id = None  # the new office decides who handles it
        session.add(case)
        detail = f"{previous} -> {to_office}" + (f": {reason}" if reason else "")
        audit(session, case.id, actor_id=actor_id, action="transfer", detail=detail)
        await self._notify_reporters(session, case, "transferred", {"office": to_office})

    # --- after the decision ---------------------------------------------------------------

    async def forward(
        self,
        code_text: str,
        recipient: str,
        *,
        actor_id: int,
        ppk: str | None = None,
        now: datetime | None = None,
        scope: str = RI,
    ) -> Case:
        """An established violation is forwarded, with the office's recommendation, to the
        authority that sanctions it (UU 7/2017 Pasal 455(1)(c)): for a civil servant BKN,
        which recommends a sanction to their PPK. The case moves to forwarded and the
        follow-up clock starts; the PPK is derived from the agency unless given."""
        now = now or utcnow()
        async with self._changing(code_text, scope=scope) as (session, case):
            if case.status not in (Status.ESTABLISHED, Status.FORWARDED):
                raise DeskError("not_established")
            case.recommendation_to = recipient
            # Forwarded again (the document made anew, another recipient): the clock keeps
            # running from the first time.
            if case.recommendation_sent_at is None:
                case.recommendation_sent_at = now
                case.follow_up_due_at = now + timedelta(days=self.follow_up_days)
            case.ppk = (
                ppk or case.ppk or derive_ppk(case.agency, case.asn_position, case.region_code)
            )
            session.add(case)
            audit(session, case.id, actor_id=actor_id, action="recommendation", detail=recipient)  # type: ignore[arg-type]
            if case.status == Status.ESTABLISHED:
                await self._move(session, case, Status.FORWARDED, actor_id=actor_id, note=recipient)
            await self._feed.card(session, case)
        return case

    async def attach_document(
        self,
        code_text: str,
        item: EvidenceItem,
        *,
        actor_id: int,
        scope: str = RI,
        shown_in: int | None = None,
    ) -> None:
        """A document the office made (the forwarding document): kept with the case and
        posted under its card in the office's group, unless `shown_in`, the chat it was
        asked for in, is that group: it is given there already."""
        async with self._sessions() as session, session.begin():
            case = await self._case_in_scope(session, code_text, scope)
            row = evidence_row(item, case.id)  # type: ignore[arg-type]
            row.source = "staff"
            session.add(row)
            await session.flush()
            audit(session, case.id, actor_id=actor_id, action="staff_files", detail="1")
            if await self._feed.chat_for(case) != shown_in:
                await self._feed.document(session, case, row.id)  # type: ignore[arg-type]
        self._on_enqueued()

    async def set_ppk(self, code_text: str, ppk: str, *, actor_id: int, scope: str = RI) -> Case:
        """Staff correct the PPK the bot derived."""
        async with self._changing(code_text, scope=scope) as (session, case):
            if case.proven_at is None:
                raise DeskError("not_established")
            previous, case.ppk = case.ppk, ppk
            session.add(case)
            audit(session, case.id, actor_id=actor_id, action="ppk", detail=f"{previous} -> {ppk}")  # type: ignore[arg-type]
            await self._feed.card(session, case)
        return case

    async def record_bkn_recommendation(
        self, code_text: str, sanction: str, on: date, *, actor_id: int, scope: str = RI
    ) -> Case:
        """BKN's recommendation to the PPK: which sanction, and when it was made."""
        if sanction not in SANCTIONS:
            raise DeskError("bad_sanction")
        async with self._changing(code_text, scope=scope) as (session, case):
            if case.recommendation_sent_at is None:
                raise DeskError("no_recommendation")
            if on < _day_forwarded(case):
                raise DeskError("before_forwarding")
            case.bkn_sanction = sanction
            case.bkn_recommended_at = on
            session.add(case)
            audit(session, case.id, actor_id=actor_id, action="bkn", detail=sanction)  # type: ignore[arg-type]
            await self._feed.card(session, case)
        return case

    async def record_ppk_response(
        self,
        code_text: str,
        response: PpkResponse,
        *,
        actor_id: int,
        scope: str = RI,
    ) -> Case:
        """What the PPK did: a sanction imposed by a decree, or none, with the reason. The
        reporter is told; the follow-up rate counts only the first (services/statistics)."""
        async with self._changing(code_text, scope=scope) as (session, case):
            if case.recommendation_sent_at is None:
                raise DeskError("no_recommendation")
            if case.ppk_response is not None:
                raise DeskError("already_followed_up")
            # A decree dated before the case reached the PPK is a typing error, and would
            # count as a follow-up in no time at all.
            if response.decree_date is not None and response.decree_date < _day_forwarded(case):
                raise DeskError("before_forwarding")
            case.ppk_response = response.kind
            case.sanction = response.sanction
            case.ppk_decree = response.decree
            case.ppk_decree_date = response.decree_date
            case.ppk_reason = response.reason
            case.followed_up_at = utcnow()
            session.add(case)
            audit(
                session,
                case.id,  # type: ignore[arg-type]
                actor_id=actor_id,
                action="follow_up",
                detail=response.describe(),
            )
            await self._notify_reporters(
                session,
                case,
                "ppk_response",
                {
                    "response": response.kind,
                    "sanction": response.sanction,
                    "ppk": case.ppk,
                    "office": case.office_code,
                },
            )
            await self._feed.card(session, case)
        return case

    # --- the staff group -----------------------------------------------------------------

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
        actor: str = "staff",
    ) -> None:
        previous = case.status
        now = utcnow()
        case.status = to_status
        case.status_changed_at = now
        case.public_note = note
        case.deadline_at = self._stage_deadline(case, previous, now)
        if to_status == Status.ESTABLISHED and case.proven_at is None:
            case.proven_at = now
        session.add(case)
        audit(
            session,
            case.id,  # type: ignore[arg-type]
            actor=actor,
            actor_id=actor_id,
            action="status",
            from_status=previous,
            to_status=to_status,
            detail=note,
        )
        if notify:
            await self._notify_reporters(
                session, case, "status_changed", {"note": note, "reason": case.outcome_reason}
            )

    @staticmethod
    def _stage_deadline(case: Case, previous: str, now: datetime) -> datetime | None:
        """The end of the stage the case enters: the initial review keeps the one counted
        from receipt (a completed report gets a fresh one), completion and registration
        start their own, the examination keeps the decision's; decided cases have none."""
        zone = zone_of(case.region_code)
        status = case.status
        if status == Status.INITIAL_REVIEW:
            if previous == Status.COMPLETION or case.deadline_at is None:
                return review_deadline(now, case.election, zone)
            return case.deadline_at
        if status == Status.COMPLETION:
            return completion_deadline(now, case.election, zone)
        if status == Status.REGISTERED:
            return decision_deadline(now, case.election, zone)
        if status == Status.EXAMINATION:
            return case.deadline_at
        if status == Status.RECEIVED:
            return case.deadline_at
        return None

    async def _notify_reporters(
        self, session: AsyncSession, case: Case, kind: str, extra: dict[str, Any]
    ) -> None:
        """Tell the case's reporter, and the reporters of the cases merged into it, each
        under their own code."""
        params = {
            "case": case.code,
            "status": case.status,
            "office": case.office_code,
            "region": case.region_code,
            "deadline": case.deadline_at.isoformat() if case.deadline_at else None,
            "register_number": case.register_number,
            "regime": regime_of(case.election),
            **extra,
        }
        listeners = [(case.id, case.code, case.reporter_id)]
        merged = await session.exec(
            select(Case.id, Case.code, Case.reporter_id).where(Case.merged_into_id == case.id)
        )
        listeners += list(merged.all())
        for own_id, own_code, reporter_id in listeners:
            reporter = await session.get(Reporter, reporter_id)
            if reporter is None or reporter.chat_id is None:
                continue
            own = {**params, "code": own_code}
            if own_id != case.id:
                # The office's note was written to this case's own reporter (what they must
                # add, why the period was extended) and may name them or what they sent:
                # the merged cases' reporters hear the change without it.
                own.pop("note", None)
            outbox.enqueue(
                session,
                chat_id=reporter.chat_id,
                kind=kind,
                params=own,
                locale=reporter.locale,
                case_id=own_id,
            )


def _day_forwarded(case: Case) -> date:
    """The day, where the case happened, its result and recommendation were sent."""
    assert case.recommendation_sent_at is not None
    return as_utc(case.recommendation_sent_at).astimezone(zone_of(case.region_code)).date()
