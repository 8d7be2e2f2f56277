"""The last resort: an update whose handler failed still gets an answer, and the operator a
log line with the cause."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError
from aiogram.types import ErrorEvent
from aiogram.utils.i18n import gettext as _

from bot.routing import RouterTemplate

log = logging.getLogger(__name__)

router = RouterTemplate(name="errors")


@router.errors()
async def on_error(event: ErrorEvent) -> None:
    update = event.update
    log.error(
        "update failed",
        exc_info=event.exception,
        extra={"update_id": update.update_id, "error": type(event.exception).__name__},
    )
    text = _(
        "Sorry, something went wrong on our side. Please try again in a moment; "
        "your report so far is kept."
    )
    try:
        if update.message is not None:
            await update.message.answer(text)
        elif update.callback_query is not None:
            await update.callback_query.answer(text, show_alert=True)
    except TelegramAPIError:
        log.warning("error notice not delivered", extra={"update_id": update.update_id})
