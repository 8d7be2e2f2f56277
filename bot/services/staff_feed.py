"""What the staff groups are owed: a case's card (posted, then edited in place), a
reporter's answer and its files, a card that moved to another office, desk-wide notices.
Each goes to the group of the case's office (services/offices.py), or to the group its card
already stands in. Staged in the outbox in the transaction of the
change that causes them, like reporters' notifications, and delivered by the same paced,
retried sender (bot/outbound/sender.py).

Sent straight away instead, they competed for the group's 20 messages a minute: a burst of
answers met 429s longer than a call may wait, and 5 of 25 were lost while their reporters
had been told "received". A row only names what to show (a case, an audit event, an
evidence file): the text is rendered when it is sent, from the case as it then stands."""

from __future__ import annotations

from sqlalchemy import exists, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import outbox
from bot.services.offices import OfficeDirectory
from storage.db import SessionFactory, commit_statement
from storage.models import Case, Outbox
from storage.repositories import Stager
from storage.sqlite_writer import SqliteWriter

CARD = "case_card"
CARD_MOVED = "case_card_moved"
ANSWER_TEXT = "answer_text"
ANSWER_FILE = "answer_file"
NOTICE = "staff_notice"
KINDS = frozenset({CARD, CARD_MOVED, ANSWER_TEXT, ANSWER_FILE, NOTICE})


async def chat_for(offices: OfficeDirectory, case: Case) -> int | None:
    """Where the case's card stands, or where its office's card goes."""
    if case.staff_card_message_id is not None and case.card_chat_id is not None:
        return case.card_chat_id
    return await offices.group_for(case.office_code)


class StaffFeed:
    """Stages staff-group messages; never commits (the caller's transaction does)."""

    def __init__(self, offices: OfficeDirectory, locale: str) -> None:
        self.offices = offices
        self._locale = locale

    async def chat_for(self, case: Case) -> int | None:
        return await chat_for(self.offices, case)

    async def card(self, session: AsyncSession, case: Case) -> None:
        """The case's card, posted or brought up to date when the row is sent."""
        self.card_to(session, await self.chat_for(case), case)

    def card_to(self, session: Stager, chat_id: int | None, case: Case) -> None:
        """`card` with its chat found beforehand (`chat_for`), for a transaction that must
        not wait on the office directory while it holds SQLite's write turn."""
        self._stage(session, chat_id, CARD, {}, case.id)

    def card_moved(self, session: AsyncSession, case: Case) -> None:
        """The old card of a case transferred to another office says where it went; the
        new office's group gets a card of its own (the caller stages it after this)."""
        if case.staff_card_message_id is None or case.card_chat_id is None:
            return
        params = {"message_id": case.staff_card_message_id}
        self._stage(session, case.card_chat_id, CARD_MOVED, params, case.id)

    async def answer(
        self,
        session: AsyncSession,
        case: Case,
        event_id: int,
        evidence_ids: list[int],
        *,
        merged_from: str | None = None,
    ) -> None:
        """A reporter's answer: its text (the audit event) and each file, one message each.
        `merged_from`: the code of the merged case whose reporter it is, when not `case`'s."""
        chat = await self.chat_for(case)
        params: dict[str, object] = {"event_id": event_id}
        if merged_from is not None:
            params["merged_from"] = merged_from
        self._stage(session, chat, ANSWER_TEXT, params, case.id)
        for evidence_id in evidence_ids:
            self._stage(session, chat, ANSWER_FILE, {"evidence_id": evidence_id}, case.id)

    async def document(self, session: AsyncSession, case: Case, evidence_id: int) -> None:
        """A file the office made, posted under the case's card."""
        self._stage(
            session, await self.chat_for(case), ANSWER_FILE, {"evidence_id": evidence_id}, case.id
        )

    def notice(self, session: AsyncSession, chat_id: int, text: str) -> None:
        """A message already rendered (an office's daily overdue reminder)."""
        self._stage(session, chat_id, NOTICE, {"text": text}, None)

    def _stage(
        self,
        session: Stager,
        chat_id: int | None,
        kind: str,
        params: dict[str, object],
        case_id: int | None,
    ) -> None:
        if chat_id is None:
            return  # no office up to RI has a group yet: the case waits in /inbox
        outbox.enqueue(
            session,
            chat_id=chat_id,
            kind=kind,
            params=params,
            locale=self._locale,
            case_id=case_id,
        )


async def cases_owed_a_card(session: AsyncSession, limit: int) -> list[Case]:
    """Cases with no card and no card row ever staged: filed while no office up to RI had
    a group. A card Telegram refused for good is not tried again every round."""
    queued = exists().where(col(Outbox.case_id) == col(Case.id), col(Outbox.kind) == CARD)
    result = await session.exec(
        select(Case)
        .where(col(Case.staff_card_message_id).is_(None), ~queued)
        .order_by(col(Case.id))
        .limit(limit)
    )
    return list(result.all())


async def superseded(session: AsyncSession, row: Outbox) -> bool:
    """A later card row of the same case is waiting: it will show the newer state, so this
    one need not use one of the group's few messages a minute."""
    result = await session.exec(
        select(Outbox.id).where(
            col(Outbox.case_id) == row.case_id,
            col(Outbox.kind) == CARD,
            col(Outbox.status) == "pending",
            col(Outbox.id) > row.id,
        )
    )
    return result.first() is not None


async def record_card(
    sessions: SessionFactory,
    case_id: int,
    chat_id: int,
    message_id: int,
    *,
    office_code: str,
    writer: SqliteWriter | None = None,
) -> None:
    """Where the case's card now stands. A plain UPDATE, not a change of the case: it must
    not raise the case's version, or a button pressed on the brand-new card would be
    stale. Not recorded if the case left `office_code` (its office when the card was made)
    while the card was on its way: the transfer's own card stands in the new group."""
    await commit_statement(
        sessions,
        writer,
        update(Case)
        .where(col(Case.id) == case_id, col(Case.office_code) == office_code)
        .values(staff_card_message_id=message_id, card_chat_id=chat_id)
        .execution_options(synchronize_session=False),
    )
