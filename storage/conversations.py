"""aiogram FSM storage on the SQL database, so conversations survive restarts."""

from __future__ import annotations

import json
import sys
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import (
    BaseStorage,
    DefaultKeyBuilder,
    KeyBuilder,
    StorageKey,
)
from sqlalchemy import bindparam
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, delete, select

from storage.db import dialect_insert
from storage.models import ConversationState, utcnow
from storage.sqlite_writer import SqliteWriter

_COLUMNS = ("key", "chat_id", "user_id", "state", "data", "updated_at")
# The same upsert and delete as _upsert and _write's, for the SQLite writer's own connection.
_SQLITE_UPSERT = (
    "INSERT INTO conversation_state (key, chat_id, user_id, state, data, updated_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO UPDATE SET "
    "state = excluded.state, data = excluded.data, updated_at = excluded.updated_at"
)
_SQLITE_DELETE = "DELETE FROM conversation_state WHERE key = ?"
_UPDATED_AT = ConversationState.__table__.c.updated_at  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ExpiredConversation:
    chat_id: int
    user_id: int
    # The code a draft was submitted under, if Submit got that far (the case may be filed).
    submission_code: str | None = None


@dataclass(slots=True)
class _Entry:
    """One conversation as kept in memory, as small as it can be: 10,000 reporters part-way
    through a report are 10,000 entries (bench/memory.py). The state is interned (there are
    only as many as the flow has steps) and the data kept as its JSON text, about half the
    size of the dict and its strings; parsing it afresh also gives every reader its own
    copy, which aiogram needs (update_data changes the dict it is given before saving it),
    faster than copy.deepcopy did."""

    state: str | None
    data: str

    @classmethod
    def of(cls, state: str | None, data: Mapping[str, Any]) -> _Entry:
        return cls(None if state is None else sys.intern(state), json.dumps(data))

    def parsed(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.data)
        return data


class SqlStorage(BaseStorage):
    """Conversation state in the `conversation_state` table, one row per chat and user.

    With `cache=True` the rows are also kept in memory, written through: the database is
    only read for a conversation this process has not seen yet. A step of a report reads
    its state four or five times and writes it twice, and every database call costs a
    thread hand-over in aiosqlite, so this is most of the difference between the bot and a
    bare echo bot (bench/RESULTS.md). It is only right when this process is the only one
    changing conversations: the SQLite default (one process), not several instances
    sharing PostgreSQL, which keep conversations in Redis anyway."""

    def __init__(
        self,
        engine: AsyncEngine,
        key_builder: KeyBuilder | None = None,
        *,
        cache: bool = False,
        cache_size: int = 50_000,
        writer: SqliteWriter | None = None,
    ):
        # SQLAlchemy Core on a connection, not ORM sessions: this runs several times for
        # every update, and the ORM's bookkeeping cost more than the database (bench/).
        self._engine = engine
        self._keys = key_builder or DefaultKeyBuilder()
        self._cache: OrderedDict[str, _Entry] | None = OrderedDict() if cache else None
        self._cache_size = cache_size
        # Counts forget_cached calls: a read begun before one is not remembered after it.
        self._generation = 0
        self._upserts: dict[str, Any] = {}
        # With a writer (SQLite), writes are committed with other updates' writes in one
        # transaction (storage/sqlite_writer.py) instead of one transaction each.
        self._writer = writer

    async def set_state(self, key: StorageKey, state: str | State | None = None) -> None:
        value = state.state if isinstance(state, State) else state
        entry = await self._entry(key)
        await self._write(key, value, entry.parsed())

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._entry(key)).state

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        entry = await self._entry(key)
        await self._write(key, entry.state, data)

    async def set_state_and_data(
        self, key: StorageKey, state: str | State | None, data: Mapping[str, Any]
    ) -> None:
        """Both in one write: moving a reporter to the next step is one transaction."""
        value = state.state if isinstance(state, State) else state
        await self._write(key, value, data)

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return (await self._entry(key)).parsed()

    async def close(self) -> None:
        """The engine belongs to the application, which disposes of it."""

    def forget_cached(self) -> None:
        """Drop the conversations kept in memory, to be read again from the database: after
        rows were changed other than through this storage (retention erasing those that
        name a case)."""
        if self._cache is not None:
            self._cache.clear()
            self._generation += 1

    async def expire_idle(self, idle_since: datetime) -> list[ExpiredConversation]:
        """Drop conversations untouched since `idle_since`; return whom to tell."""
        async with self._engine.begin() as connection:
            stale = (
                await connection.execute(
                    select(
                        ConversationState.key,
                        ConversationState.chat_id,
                        ConversationState.user_id,
                        ConversationState.data,
                    ).where(
                        col(ConversationState.updated_at) < idle_since,
                        col(ConversationState.state).is_not(None),
                    )
                )
            ).all()
            if stale:
                await connection.execute(
                    delete(ConversationState).where(
                        col(ConversationState.key).in_([row.key for row in stale])
                    )
                )
        if self._cache is not None:
            for row in stale:
                self._cache.pop(row.key, None)
        return [
            ExpiredConversation(row.chat_id, row.user_id, (row.data or {}).get("submission_code"))
            for row in stale
            if row.chat_id is not None and row.user_id is not None
        ]

    async def _entry(self, key: StorageKey) -> _Entry:
        storage_key = self._keys.build(key)
        if self._cache is not None and (cached := self._cache.get(storage_key)) is not None:
            self._cache.move_to_end(storage_key)
            return cached
        generation = self._generation
        async with self._engine.connect() as connection:
            row = (
                await connection.execute(
                    select(ConversationState.state, ConversationState.data).where(
                        col(ConversationState.key) == storage_key
                    )
                )
            ).first()
        entry = _Entry.of(row.state, row.data) if row else _Entry.of(None, {})
        if generation == self._generation:
            self._remember(storage_key, entry)
        return entry

    async def _write(self, key: StorageKey, state: str | None, data: Mapping[str, Any]) -> None:
        if self._writer is not None:
            await self._write_batched(key, state, data)
            return
        storage_key = self._keys.build(key)
        data = dict(data)  # what the JSON column and json.dumps take
        try:
            async with self._engine.begin() as connection:
                if state is None and not data:
                    await connection.execute(
                        delete(ConversationState).where(col(ConversationState.key) == storage_key)
                    )
                else:
                    await connection.execute(
                        self._upsert(connection.dialect.name),
                        {
                            "key": storage_key,
                            "chat_id": key.chat_id,
                            "user_id": key.user_id,
                            "state": state,
                            "data": data,
                            "updated_at": utcnow(),
                        },
                    )
        except BaseException:
            # Whether it was written is unknown: read it afresh next time.
            if self._cache is not None:
                self._cache.pop(storage_key, None)
            raise
        if self._cache is not None:
            # Made after the write: the JSON column has just shown that the data serialises.
            self._remember(storage_key, _Entry.of(state, data))

    async def _write_batched(
        self, key: StorageKey, state: str | None, data: Mapping[str, Any]
    ) -> None:
        """_write through the SQLite writer: the row as the ORM would store it (the JSON
        column's text is json.dumps' as the cache keeps it, the moment through the
        column's own conversion), committed together with other updates' writes."""
        assert self._writer is not None
        storage_key = self._keys.build(key)
        text = json.dumps(dict(data))  # fails here, before anything is queued, if it cannot
        statement: str
        parameters: tuple[Any, ...]
        if state is None and not data:
            statement, parameters = _SQLITE_DELETE, (storage_key,)
        else:
            statement = _SQLITE_UPSERT
            moment = self._writer.stored(_UPDATED_AT, utcnow())
            parameters = (storage_key, key.chat_id, key.user_id, state, text, moment)
        try:
            await self._writer.run(
                lambda connection: connection.execute(statement, parameters).close()
            )
        except BaseException:
            if self._cache is not None:
                self._cache.pop(storage_key, None)
            raise
        if self._cache is not None:
            entry = _Entry(None if state is None else sys.intern(state), text)
            self._remember(storage_key, entry)

    def _upsert(self, dialect: str) -> Any:
        """INSERT … ON CONFLICT DO UPDATE, built once per dialect with bound parameters:
        rebuilt per call it cost more than the database work itself (bench/)."""
        if (statement := self._upserts.get(dialect)) is None:
            fresh = dialect_insert(dialect)(ConversationState).values(
                {name: bindparam(name) for name in _COLUMNS}
            )
            statement = fresh.on_conflict_do_update(
                index_elements=[col(ConversationState.key)],
                set_={name: fresh.excluded[name] for name in ("state", "data", "updated_at")},
            )
            self._upserts[dialect] = statement
        return statement

    def _remember(self, storage_key: str, entry: _Entry) -> None:
        if self._cache is None:
            return
        self._cache[storage_key] = entry
        self._cache.move_to_end(storage_key)
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
