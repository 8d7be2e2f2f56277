"""aiogram FSM storage on the SQL database, so conversations survive restarts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, KeyBuilder, StorageKey
from sqlmodel import col, delete, select

from storage.db import SessionFactory
from storage.models import ConversationState, utcnow


@dataclass(frozen=True)
class ExpiredConversation:
    chat_id: int
    user_id: int


class SqlStorage(BaseStorage):
    def __init__(self, session_factory: SessionFactory, key_builder: KeyBuilder | None = None):
        self._sessions = session_factory
        self._keys = key_builder or DefaultKeyBuilder()

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._write(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        row = await self._read(key)
        return row.state if row else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self._write(key, data=dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        row = await self._read(key)
        return dict(row.data) if row else {}

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""

    async def expire_idle(self, idle_since: datetime) -> list[ExpiredConversation]:
        """Drop conversations untouched since `idle_since`; return whom to tell."""
        async with self._sessions() as session, session.begin():
            stale = (
                await session.exec(
                    select(ConversationState).where(
                        col(ConversationState.updated_at) < idle_since,
                        col(ConversationState.state).is_not(None),
                    )
                )
            ).all()
            if stale:
                await session.exec(
                    delete(ConversationState).where(
                        col(ConversationState.key).in_([row.key for row in stale])
                    )
                )
        return [
            ExpiredConversation(row.chat_id, row.user_id)
            for row in stale
            if row.chat_id is not None and row.user_id is not None
        ]

    async def _read(self, key: StorageKey) -> ConversationState | None:
        async with self._sessions() as session:
            return await session.get(ConversationState, self._keys.build(key))

    async def _write(self, key: StorageKey, **values: Any) -> None:
        storage_key = self._keys.build(key)
        async with self._sessions() as session, session.begin():
            row = await session.get(ConversationState, storage_key)
            if row is None:
                row = ConversationState(key=storage_key, chat_id=key.chat_id, user_id=key.user_id)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            if row.state is None and not row.data:
                if row in session:
                    await session.delete(row)
                return
            session.add(row)
