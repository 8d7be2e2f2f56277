"""The language each chat chose with /bahasa. Read for every update (the reply's language)
and changed rarely, so choices are kept in memory for a minute after reading them."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from storage import repositories
from storage.db import SessionFactory


class LanguageChoices:
    """With several instances, a choice made on one reaches the others within `ttl_seconds`;
    on the instance where it was made, at once."""

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        ttl_seconds: float = 60.0,
        size: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = session_factory
        self._ttl = ttl_seconds
        self._size = size
        self._clock = clock
        self._known: OrderedDict[int, tuple[str | None, float]] = OrderedDict()

    async def chosen(self, chat_id: int) -> str | None:
        """The chat's choice, or None when it made none."""
        remembered = self._known.get(chat_id)
        if remembered is not None and remembered[1] > self._clock():
            return remembered[0]
        async with self._sessions() as session:
            locale = await repositories.chat_locale(session, chat_id)
        self._remember(chat_id, locale)
        return locale

    async def choose(self, chat_id: int, locale: str) -> None:
        async with self._sessions() as session, session.begin():
            await repositories.set_chat_locale(session, chat_id, locale)
        self._remember(chat_id, locale)

    def _remember(self, chat_id: int, locale: str | None) -> None:
        now = self._clock()
        self._known[chat_id] = (locale, now + self._ttl)
        self._known.move_to_end(chat_id)
        # Oldest first, and every entry lives as long, so the expired ones are at the
        # front: drop them, or every chat seen in the last hours would stay (2 MB for
        # 10,000) though none would be read again.
        while self._known and (
            len(self._known) > self._size or next(iter(self._known.values()))[1] <= now
        ):
            self._known.popitem(last=False)
