"""The last resort: an update whose handler failed still gets an answer, and the operator a
log line with the cause."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys

from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, ErrorEvent, Message, User
from aiogram.utils.i18n import gettext as _

from bot.dispatch.routing import RouterTemplate
from bot.services.staff import StaffDirectory
from storage.db import DATABASE_ERRORS

log = logging.getLogger(__name__)

# Telling staff from reporters reads one indexed row. A database that does not answer (a
# server behind a firewall that drops packets) must not hold back the notice beyond this:
# the failed update has already waited for it once.
STAFF_LOOKUP_SECONDS = 1.0

router = RouterTemplate(name="errors")


def _is_outage(error: Exception) -> bool:
    """The database or Redis is down or locked."""
    if isinstance(error, DATABASE_ERRORS):
        return True
    # redis-py is imported only when REDIS_URL is set (bot/app.py); until it is, nothing
    # can have raised one of its errors, and importing it here would undo that.
    redis_exceptions = sys.modules.get("redis.exceptions")
    return redis_exceptions is not None and isinstance(error, redis_exceptions.RedisError)


async def _told_to_staff(
    staff_directory: StaffDirectory, user: User | None, chat: Chat | None
) -> bool:
    """Whether the notice goes to staff: in a group always (the bot answers only in office
    groups), in a private chat if the sender is staff. Finding that out needs the database;
    when it is down or slow too, the sender is answered as a reporter would be."""
    if chat is not None and chat.type != ChatType.PRIVATE:
        return True
    if user is None:
        return False
    try:
        async with asyncio.timeout(STAFF_LOOKUP_SECONDS):
            return await staff_directory.member(user.id) is not None
    except (*DATABASE_ERRORS, TimeoutError):
        return False


@router.errors()
async def on_error(
    event: ErrorEvent,
    staff_directory: StaffDirectory,
    event_from_user: User | None = None,
    event_chat: Chat | None = None,
) -> None:
    update = event.update
    log.error(
        "update failed",
        exc_info=event.exception,
        extra={"update_id": update.update_id, "error": type(event.exception).__name__},
    )
    outage = _is_outage(event.exception)
    if await _told_to_staff(staff_directory, event_from_user, event_chat):
        # A command or a press on a card: it may have been applied before the failure (a
        # reply that could not be sent), so the case is looked at before trying again.
        if outage:
            text = _(
                "That could not be done just now: our database is not answering. Look at "
                "the case with /case before trying again in a minute."
            )
        else:
            text = _(
                "Sorry, something went wrong on our side, and that may not have been done. "
                "Look at the case with /case before trying again."
            )
    elif outage:
        # The database (or Redis) is down or locked: what the user sent was not saved, and
        # what was saved before is intact, since each step is written in one transaction.
        text = _(
            "We could not save that just now: our database is not answering. Your report "
            "so far is kept; please try again in a minute."
        )
    else:
        text = _(
            "Sorry, something went wrong on our side. Please try again in a moment; "
            "your report so far is kept."
        )
    try:
        if update.message is not None:
            await update.message.answer(text)
        elif update.callback_query is not None:
            callback = update.callback_query
            # A message, not an alert: the handler may already have answered the press
            # ("Sending…"), and Telegram takes only one answer per press.
            with contextlib.suppress(TelegramAPIError):
                await callback.answer()
            if isinstance(callback.message, Message):
                await callback.message.answer(text)
    except TelegramAPIError:
        log.warning("error notice not delivered", extra={"update_id": update.update_id})
