"""Tasks that run beside the dispatcher: each loops until cancelled, and a failed round is
logged and retried on the next one rather than ending the task."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.config import Settings
from bot.logs import describe_error
from bot.services.coordination import claim_job
from bot.services.dates import WIB
from bot.services.desk import Desk
from bot.services.intake import IntakeService
from bot.ui.cards import overdue_text
from bot.ui.text import code, quote
from storage import repositories
from storage.db import SessionFactory
from storage.fsm import SqlStorage
from storage.models import utcnow

log = logging.getLogger(__name__)


async def every(seconds: float, job: Callable[[], Awaitable[None]], name: str) -> None:
    while True:
        await asyncio.sleep(seconds)
        try:
            await job()
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("background job failed", extra={"job": name})


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
            filed = await intake.filed(conversation.submission_code, chat_id=conversation.chat_id)
        with i18n.context(), i18n.use_locale(locale or settings.default_locale):
            if filed is not None:
                text = _(
                    "Your report has been received. Its tracking code is {code}; check it "
                    "with /status {plain_code}."
                ).format(code=code(filed.code), plain_code=quote(filed.code))
            else:
                text = _(
                    "Your unfinished report was closed after 24 hours without activity, and "
                    "its answers deleted. Send /lapor to start again."
                )
        try:
            await bot.send_message(conversation.chat_id, text)
        except TelegramAPIError as error:
            log.warning("expiry notice not delivered", extra={"error": describe_error(error)})


def seconds_until_next(hour: int, now: datetime | None = None) -> float:
    """Seconds until the next `hour`:00 in Western Indonesia Time."""
    local = (now or utcnow()).astimezone(WIB)
    target = local.replace(hour=hour, minute=0, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return (target - local).total_seconds()


async def daily_overdue_reminder(
    desk: Desk, sessions: SessionFactory, i18n: I18n, settings: Settings
) -> None:
    while True:
        await asyncio.sleep(seconds_until_next(settings.overdue_reminder_hour))
        try:
            today = utcnow().astimezone(WIB).date().isoformat()
            if not await claim_job(sessions, "overdue_reminder", today):
                continue  # another instance sent today's reminder
            overdue = await desk.overdue()
            if overdue:
                with i18n.context(), i18n.use_locale(settings.default_locale):
                    text = overdue_text(overdue)
                await desk.notify_staff(text)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("overdue reminder failed")
