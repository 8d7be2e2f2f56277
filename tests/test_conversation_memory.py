"""What a SQLite bot keeps of its conversations in memory (storage/conversations.py) is
forgotten when it is told to, even a row being read at that very moment: otherwise a
conversation the retention purge erased could live on in the running bot."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aiogram.fsm.storage.base import StorageKey
from sqlmodel import delete

from storage.conversations import SqlStorage
from storage.db import create_engine
from storage.migrate import upgrade_to_head_async
from storage.models import ConversationState


async def test_a_read_under_way_when_memory_is_dropped_is_not_remembered(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'conversations.db'}"
    await upgrade_to_head_async(url)
    engine = create_engine(url)
    try:
        storage = SqlStorage(engine, cache=True)
        key = StorageKey(bot_id=1, chat_id=42, user_id=42)
        await storage.set_state(key, "AnswerForm:waiting")
        storage.forget_cached()

        reading = asyncio.create_task(storage.get_state(key))
        await asyncio.sleep(0)  # the read is under way, waiting for the database
        storage.forget_cached()  # the purge has just erased rows
        assert await reading == "AnswerForm:waiting"
        async with engine.begin() as connection:  # the row the purge erased
            await connection.execute(delete(ConversationState))

        assert await storage.get_state(key) is None
    finally:
        await engine.dispose()
