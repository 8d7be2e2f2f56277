"""The last resort: an update whose handler failed still gets an answer, and the operator a
log line with the cause."""

from __future__ import annotations

import contextlib
import logging
import sys

from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent, Message
from aiogram.utils.i18n import gettext as _

from bot.dispatch.routing import RouterTemplate
from storage.db import DATABASE_ERRORS

log = logging.getLogger(__name__)

router = RouterTemplate(name="errors")


def _is_outage(error: Exception) -> bool:
    """The database or Redis is down or locked."""
    if isinstance(error, DATABASE_ERRORS):
        return True
    # redis-py is imported only when REDIS_URL is set (bot/app.py); until it is, nothing
    # can have raised one of its errors, and importing it here would undo that.
    redis_exceptions = sys.modules.get("redis.exceptions")
    return redis_exceptions is not None and isinstance(error, redis_exceptions.RedisError)


@router.errors()
async def on_error(event: ErrorEvent) -> None:
    update = event.update
    log.error(
        "update failed",
        exc_info=event.exception,
        extra={"update_id": update.update_id, "error": type(event.exception).__name__},
    )
    if _is_outage(event.exception):
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
