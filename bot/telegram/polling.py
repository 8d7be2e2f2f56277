"""Long polling, written for faults: one malformed update cannot stall the queue, a crash
cannot make an update be processed twice, and Telegram or the database failing only
delays updates.

aiogram's own polling parses a whole batch at once (one update it cannot parse fails the
batch, and the same batch is fetched again forever) and confirms an update before it has
been handled. Here each update is parsed on its own, and a batch is claimed in the
database (coordination.claim_updates) before any of it is handled: an update redelivered
after a restart is skipped, so an answer is never applied twice (to the next question of
a report, say). The price: an update being handled at the instant the process dies is not
handled again; its sender sees no answer and sends it again."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import TYPE_CHECKING, Any

import aiohttp
from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import TelegramMethod
from aiogram.types import Update
from pydantic import ValidationError

from bot.logs import current_update, describe_error
from bot.services import coordination
from storage.db import SessionFactory
from storage.sqlite_writer import SqliteWriter

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)

# Updates being handled at once; beyond this, fetching waits (the database and Redis would
# only queue them anyway, and memory stays bounded). An update waits on the database and
# the Bot API about four times as long as it computes, so a few in flight keep the core
# busy; 256 left 11 MB more resident after a burst than 32 (bench/memory.py).
MAX_IN_FLIGHT = 32
# How long a stopping poller lets updates under way finish.
STOP_GRACE_SECONDS = 10.0
_BACKOFF_FIRST, _BACKOFF_CAP = 0.5, 30.0


class GetRawUpdates(TelegramMethod[list[dict[str, Any]]]):
    """getUpdates, with each update left as JSON so that one can be refused on its own."""

    __returning__ = list[dict[str, Any]]
    __api_method__ = "getUpdates"

    offset: int | None = None
    limit: int | None = None
    timeout: int | None = None
    allowed_updates: list[str] | None = None


def parse_update(raw: dict[str, Any], bot: Bot) -> Update | None:
    """The update, or None (logged) when it cannot be understood: a field aiogram requires
    but this update lacks, a type it does not know. Skipping it beats stalling everyone."""
    try:
        return Update.model_validate(raw, context={"bot": bot})
    except ValidationError as error:
        log.warning(
            "malformed update skipped",
            extra={
                "update_id": raw.get("update_id"),
                "kinds": sorted(key for key in raw if key != "update_id"),
                "problems": [".".join(map(str, e["loc"])) for e in error.errors()][:5],
            },
        )
        return None


class Poller:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        sessions: SessionFactory,
        *,
        polling_timeout: int = 30,
        max_in_flight: int = MAX_IN_FLIGHT,
        writer: SqliteWriter | None = None,
    ) -> None:
        self._bot = bot
        self._dispatcher = dispatcher
        self._sessions = sessions
        self._timeout = polling_timeout
        self._slots = asyncio.Semaphore(max_in_flight)
        self._tasks: set[asyncio.Task[None]] = set()
        self._failures = 0
        self._writer = writer

    async def run(self) -> None:
        """Fetch and handle updates until cancelled; then let those under way finish."""
        request = GetRawUpdates(
            timeout=self._timeout,
            allowed_updates=self._dispatcher.resolve_used_update_types(),
        )
        try:
            while True:
                batch = [
                    raw
                    for raw in await self._fetch(request)
                    if isinstance(raw.get("update_id"), int)
                ]
                if not batch:
                    continue
                ids = [raw["update_id"] for raw in batch]
                try:
                    fresh = await coordination.claim_updates(self._sessions, ids, self._writer)
                except Exception:
                    # The database is down or locked. Holding the updates back would leave
                    # people facing silence for as long as it lasts; handled now, they get
                    # an answer (a handler that needs the database asks them to try again).
                    # Only a crash before the next fetch could then repeat one.
                    log.exception("updates not claimed; handled without the redelivery guard")
                    fresh = set(ids)
                request.offset = max(ids) + 1  # confirmed with the next fetch
                for raw in batch:
                    update_id = raw["update_id"]
                    if update_id not in fresh:
                        log.info("redelivered update skipped", extra={"update_id": update_id})
                        continue
                    with current_update.handling(raw):  # a malformed update's line too
                        update = parse_update(raw, self._bot)
                    if update is not None:
                        await self._start(update, raw)
        finally:
            await self._finish_under_way()

    async def _fetch(self, request: GetRawUpdates) -> list[dict[str, Any]]:
        try:
            batch = await self._bot(request, request_timeout=self._timeout + 15)
        except TelegramRetryAfter as error:
            log.warning("getUpdates flood limit", extra={"retry_after": error.retry_after})
            await asyncio.sleep(error.retry_after)
            return []
        except TelegramUnauthorizedError:
            log.critical("Telegram refused the bot token; polling stops")
            raise
        except TelegramConflictError as error:
            # Another process polls with this token, or a webhook is set.
            log.error("getUpdates conflict", extra={"error": describe_error(error)})
            await self._backoff()
            return []
        except (
            TelegramServerError,
            TelegramNetworkError,
            ClientDecodeError,
            aiohttp.ClientError,
            TimeoutError,
            OSError,
        ) as error:
            # Not str(error): a response that cannot be decoded is quoted whole in it, and
            # getUpdates' response is people's messages.
            log.warning("getUpdates failed", extra={"error": describe_error(error)})
            await self._backoff()
            return []
        self._failures = 0
        return batch

    async def _backoff(self) -> None:
        self._failures += 1
        delay = min(_BACKOFF_CAP, _BACKOFF_FIRST * 2 ** (self._failures - 1))
        await asyncio.sleep(delay * random.uniform(0.8, 1.2))

    async def _start(self, update: Update, raw: dict[str, Any]) -> None:
        await self._slots.acquire()
        task = asyncio.create_task(self._handle(update, raw))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _handle(self, update: Update, raw: dict[str, Any]) -> None:
        with current_update.handling(raw):  # its sender's strings stay out of the log
            try:
                await self._dispatcher.feed_update(self._bot, update)
            except Exception:
                # The errors router has answered the user where it could; this is the log line.
                log.exception("update failed", extra={"update_id": update.update_id})
            finally:
                self._slots.release()

    async def _finish_under_way(self) -> None:
        if not self._tasks:
            return
        under_way = list(self._tasks)
        _done, pending = await asyncio.wait(under_way, timeout=STOP_GRACE_SECONDS)
        for task in pending:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*pending, return_exceptions=True)


def poller_for(application: Application, polling_timeout: int = 30) -> Poller:
    return Poller(
        application.bot,
        application.dispatcher,
        application.sessions,
        polling_timeout=polling_timeout,
        writer=application.writer,
    )
