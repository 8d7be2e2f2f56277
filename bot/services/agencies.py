"""The agencies reported so far, for the suggestions at report step 3 ("others reported an
agency with a similar name: is it one of these?").

Listing them groups every case by agency: a second or more with a million cases, on a
reporter's path. So the list is kept in memory and reloaded in the background every few
minutes; an agency reported through this process is added at once, one reported through
another instance appears after its next reload."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from rapidfuzz import fuzz, process

from bot.services.report_fields import agency_key
from storage import repositories
from storage.db import SessionFactory

log = logging.getLogger(__name__)

SUGGESTION_SCORE = 85
SUGGESTIONS = 3


def similar_agencies(known: dict[str, str], typed: str) -> list[str]:
    """Names in `known` (key -> name) that look like `typed`; none if it matches one."""
    typed_key = agency_key(typed)
    if typed_key in known:
        return []
    matches = process.extract(
        typed_key,
        {name: key for key, name in known.items()},
        scorer=fuzz.token_sort_ratio,
        score_cutoff=SUGGESTION_SCORE,
        limit=SUGGESTIONS,
    )
    return [name for _key, _score, name in matches]


class AgencyDirectory:
    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        reload_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sessions = session_factory
        self._reload_seconds = reload_seconds
        self._clock = clock
        self._known: dict[str, str] | None = None  # agency key -> the name shown
        self._loaded_at = 0.0
        self._reloading: asyncio.Task[None] | None = None

    async def suggestions(self, typed: str) -> list[str]:
        if self._known is None:
            await self._reload()
        elif self._clock() - self._loaded_at > self._reload_seconds and self._reloading is None:
            self._reloading = asyncio.create_task(self._reload_in_background())
        return similar_agencies(self._known or {}, typed)

    def note(self, name: str) -> None:
        """An agency just reported: suggest it from now on."""
        if self._known is not None:
            self._known.setdefault(agency_key(name), name)

    async def _reload(self) -> None:
        async with self._sessions() as session:
            names = await repositories.known_agencies(session)
        known = {agency_key(name): name for name in names}
        if self._known is not None:  # keep what was noted meanwhile
            known = {**self._known, **known}
        self._known, self._loaded_at = known, self._clock()

    async def _reload_in_background(self) -> None:
        try:
            await self._reload()
        except Exception:
            log.exception("agency list not reloaded; the previous one stays")
            self._loaded_at = self._clock()  # try again after the interval, not at once
        finally:
            self._reloading = None
