"""Data retention: once a case has been closed (or rejected) for the configured time, nothing
in the database may lead from it back to the person who reported it. The case itself, its
evidence and its history are kept for the record.

What linked a case to its reporter: the reporter row (chat id, name, phone); the messages
sent to them (outbox rows carry the chat id beside the case id: for a private chat, the
reporter's Telegram user id); a conversation still holding the case's code (an answer
under way); and the chat's language choice, which names the chat once no case does."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.lifecycle import FINAL
from storage.db import SessionFactory
from storage.models import Case, ChatPreference, ConversationState, Outbox, Reporter, utcnow


async def purge_reporters(
    session_factory: SessionFactory, *, retention_days: int, now: datetime | None = None
) -> int:
    """Erase what ties cases final for more than `retention_days` to their reporters;
    returns how many reporters were erased."""
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    async with session_factory() as session, session.begin():
        due = (
            await session.exec(
                select(Reporter.id, Reporter.chat_id, Case.id, Case.code)
                .join(Case, col(Case.reporter_id) == col(Reporter.id))
                .where(
                    col(Case.status).in_(FINAL),
                    col(Case.status_changed_at) < cutoff,
                    col(Reporter.chat_id).is_not(None)
                    | col(Reporter.name).is_not(None)
                    | col(Reporter.phone).is_not(None),
                )
            )
        ).all()
        for _reporter_id, chat_id, case_id, case_code in due:
            if chat_id is not None:
                await _forget_chat_of_case(session, chat_id, case_id, case_code)
        reporter_ids = [reporter_id for reporter_id, *_rest in due]
        if reporter_ids:
            await session.exec(
                update(Reporter)
                .where(col(Reporter.id).in_(reporter_ids))
                .values(chat_id=None, name=None, phone=None)
            )  # type: ignore[call-overload]
        chats = {chat_id for _reporter_id, chat_id, *_rest in due if chat_id is not None}
        await _forget_unreferenced_preferences(session, chats)
    return len(reporter_ids)


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
