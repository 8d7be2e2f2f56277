"""Reports left unfinished: dropped after the configured idle time, their authors told."""

from __future__ import annotations

import logging
from datetime import timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.logs import describe_error
from bot.services.intake import IntakeService
from bot.ui.labels import show_duration
from bot.ui.text import code, quote
from storage import repositories
from storage.conversations import SqlStorage
from storage.db import SessionFactory
from storage.models import utcnow

log = logging.getLogger(__name__)


async def expire_idle_conversations(
    bot: Bot,
    storage: SqlStorage,
    sessions: SessionFactory,
    intake: IntakeService,
    i18n: I18n,
    settings: Settings,
) -> None:
    """Drop reports left untouched for the configured time and tell their authors."""
    idle_since = utcnow() - timedelta(seconds=settings.conversation_timeout_seconds)
    for conversation in await storage.expire_idle(idle_since):
        async with sessions() as session:
            locale = await repositories.chat_locale(session, conversation.chat_id)
        # Submitted, but the confirmation never arrived: the report is filed, not dropped.
        filed = None
        if conversation.submission_code:
            filed = await intake.filed(
                conversation.submission_code,
                chat_id=conversation.chat_id,
                user_id=conversation.user_id,
            )
        with i18n.context(), i18n.use_locale(locale or settings.default_locale):
            if filed is not None:
                text = _(
                    "Your report has been received. Its tracking code is {code}; check it "
                    "with /status {plain_code}."
                ).format(code=code(filed.code), plain_code=quote(filed.code))
            else:
                text = _(
                    "Your unfinished report was closed after {duration} without activity, and "
                    "its answers deleted. Send /lapor to start again."
                ).format(duration=show_duration(settings.conversation_timeout_seconds))
        try:
            await bot.send_message(conversation.chat_id, text)
        except TelegramAPIError as error:
            log.warning("expiry notice not delivered", extra={"error": describe_error(error)})
