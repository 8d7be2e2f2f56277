"""What the staff chat is owed: a case's card (posted, then edited in place), a reporter's
answer and its files, desk-wide notices. Staged in the outbox in the transaction of the
change that causes them, like reporters' notifications, and delivered by the same paced,
retried sender (bot/delivery.py).

Sent straight away instead, they competed for the group's 20 messages a minute: a burst of
answers met 429s longer than a call may wait, and 5 of 25 were lost while their reporters
had been told "received". A row only names what to show (a case, an audit event, an
evidence file): the text is rendered when it is sent, from the case as it then stands."""

from __future__ import annotations

from sqlalchemy import exists, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import outbox
from storage.db import SessionFactory
from storage.models import Case, Outbox

CARD = "case_card"
ANSWER_TEXT = "answer_text"
ANSWER_FILE = "answer_file"
NOTICE = "staff_notice"
KINDS = frozenset({CARD, ANSWER_TEXT, ANSWER_FILE, NOTICE})


class StaffFeed:
    """Stages staff-chat messages; never commits (the caller's transaction does)."""

    def __init__(self, chat_id: int | None, locale: str) -> None:
        self.chat_id = chat_id
        self._locale = locale

    def card(self, session: AsyncSession, case_id: int) -> None:
        """The case's card, posted or brought up to date when the row is sent."""
        self._stage(session, CARD, {}, case_id)

    def answer(
        self, session: AsyncSession, case_id: int, event_id: int, evidence_ids: list[int]
    ) -> None:
        """A reporter's answer: its text (the audit event) and each file, one message each."""
        self._stage(session, ANSWER_TEXT, {"event_id": event_id}, case_id)
        for evidence_id in evidence_ids:
            self._stage(session, ANSWER_FILE, {"evidence_id": evidence_id}, case_id)

    def notice(self, session: AsyncSession, text: str) -> None:
        """A message already rendered (the daily overdue reminder)."""
        self._stage(session, NOTICE, {"text": text}, None)

    def _stage(
        self, session: AsyncSession, kind: str, params: dict[str, object], case_id: int | None
    ) -> None:
        if self.chat_id is None:
            return
        outbox.enqueue(
            session,
            chat_id=self.chat_id,
            kind=kind,
            params=params,
            locale=self._locale,
            case_id=case_id,
        )


async def cases_owed_a_card(session: AsyncSession, limit: int) -> list[int]:
    """Cases with no card and no card row ever staged: filed while no staff chat was
    configured. A card Telegram refused for good is not tried again every round."""
    queued = exists().where(col(Outbox.case_id) == col(Case.id), col(Outbox.kind) == CARD)
    result = await session.exec(
        select(Case.id)
        .where(col(Case.staff_card_message_id).is_(None), ~queued)
        .order_by(col(Case.id))
        .limit(limit)
    )
    return [int(case_id) for case_id in result.all() if case_id is not None]


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


async def record_card(sessions: SessionFactory, case_id: int, message_id: int) -> None:
    """Where the case's card now stands. A plain UPDATE, not a change of the case: it must
    not raise the case's version, or a button pressed on the brand-new card would be
    stale."""
    async with sessions() as session, session.begin():
        await session.exec(
            update(Case)
            .where(col(Case.id) == case_id)
            .values(staff_card_message_id=message_id)
            .execution_options(synchronize_session=False)
        )  # type: ignore[call-overload]
