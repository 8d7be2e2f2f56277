"""Data retention: once a case has been closed (or not registered) for the configured time, nothing
in the database may lead from it back to the person who reported it. The case itself, its
evidence and its history are kept for the record.

A case merged into another counts from its survivor: its reporter hears the survivor's
news until that is final too.

What linked a case to its reporter: the reporter row (chat id, name, address, phone); the messages
sent to them (outbox rows carry the chat id beside the case id: for a private chat, the
reporter's Telegram user id); a conversation still holding the case's code (an answer
under way); and the chat's language choice, which names the chat once no case does."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import and_, delete, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.lifecycle import FINAL, Status
from storage.db import SessionFactory, empty_sqlite_log
from storage.models import Case, ChatPreference, ConversationState, Outbox, Reporter, utcnow

log = logging.getLogger(__name__)


class ConversationsElsewhere(Protocol):
    """Conversations kept outside the database (Redis, when several instances share them)."""

    async def forget_holding(self, chat_id: int, value: str) -> int: ...


async def purge_reporters(
    session_factory: SessionFactory,
    *,
    retention_days: int,
    now: datetime | None = None,
    conversations: ConversationsElsewhere | None = None,
) -> int:
    """Erase what ties cases final for more than `retention_days` to their reporters;
    returns how many reporters were erased. `conversations`: where the conversations are
    kept when not in the database, so that one still naming a case is erased there too."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    if conversations is not None:
        # Erased elsewhere first, and outside the database's transaction: on SQLite that
        # transaction holds the only write turn, and every update of the running bot would
        # wait behind each call to Redis. If Redis fails, nothing is erased here and the next
        # run finds these reporters again, instead of never.
        async with session_factory() as session:
            seen = set(await _due(session, cutoff))
        for _reporter_id, chat_id, _case_id, case_code in seen:
            if chat_id is not None:
                await conversations.forget_holding(chat_id, case_code)
    async with session_factory() as session, session.begin():
        due = await _due(session, cutoff)
        if conversations is not None:
            # A reporter who fell due in between is left to the next run, which erases
            # their conversation elsewhere first.
            due = [row for row in due if row in seen]
        for _reporter_id, chat_id, case_id, case_code in due:
            if chat_id is not None:
                await _forget_chat_of_case(session, chat_id, case_id, case_code)
        reporter_ids = [reporter_id for reporter_id, *_rest in due]
        if reporter_ids:
            await session.exec(
                update(Reporter)
                .where(col(Reporter.id).in_(reporter_ids))
                .values(chat_id=None, name=None, address=None, phone=None)
            )  # type: ignore[call-overload]
        chats = {chat_id for _reporter_id, chat_id, *_rest in due if chat_id is not None}
        await _forget_unreferenced_preferences(session, chats)
    if reporter_ids and not await empty_sqlite_log(session_factory):
        log.warning("the database's write-ahead log still holds erased rows until it is reused")
    return len(reporter_ids)


async def _due(session: AsyncSession, cutoff: datetime) -> list[tuple[int, int | None, int, str]]:
    """(reporter id, chat id, case id, case code) of each reporter still identifiable whose
    case is done with since before `cutoff`."""
    survivor = aliased(Case)
    # A merged case is done with when the case it was merged into is; any other when it is.
    done_with = or_(
        and_(
            col(Case.status).in_([status for status in FINAL if status != Status.MERGED]),
            col(Case.status_changed_at) < cutoff,
        ),
        and_(
            col(Case.status) == Status.MERGED,
            col(survivor.status).in_(FINAL),
            col(survivor.status_changed_at) < cutoff,
        ),
    )
    rows = await session.exec(
        select(Reporter.id, Reporter.chat_id, Case.id, Case.code)
        .join(Case, col(Case.reporter_id) == col(Reporter.id))
        .outerjoin(survivor, col(survivor.id) == col(Case.merged_into_id))
        .where(
            done_with,
            col(Reporter.chat_id).is_not(None)
            | col(Reporter.name).is_not(None)
            | col(Reporter.address).is_not(None)
            | col(Reporter.phone).is_not(None),
        )
    )
    return [(reporter_id, chat_id, case_id, code) for reporter_id, chat_id, case_id, code in rows]


async def _forget_chat_of_case(
    session: AsyncSession, chat_id: int, case_id: int, case_code: str
) -> None:
    await session.exec(
        delete(Outbox).where(col(Outbox.case_id) == case_id, col(Outbox.chat_id) == chat_id)
    )  # type: ignore[call-overload]
    conversations = (
        await session.exec(
            select(ConversationState.key, ConversationState.data).where(
                col(ConversationState.chat_id) == chat_id
            )
        )
    ).all()
    holding = [key for key, data in conversations if case_code in (data or {}).values()]
    if holding:
        await session.exec(delete(ConversationState).where(col(ConversationState.key).in_(holding)))  # type: ignore[call-overload]


async def _forget_unreferenced_preferences(session: AsyncSession, chats: set[int]) -> None:
    """A language choice names a chat; once no reporter row does, it names a former reporter."""
    if not chats:
        return
    still_reporting = set(
        (
            await session.exec(
                select(Reporter.chat_id).where(col(Reporter.chat_id).in_(chats)).distinct()
            )
        ).all()
    )
    gone = chats - still_reporting
    if gone:
        await session.exec(delete(ChatPreference).where(col(ChatPreference.chat_id).in_(gone)))  # type: ignore[call-overload]
