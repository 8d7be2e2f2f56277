"""The flood guard in front of everything: one account's flood costs others nothing.

There is no per-update database session: services open their own from the session factory
and commit where the change is complete, so a handler never commits."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.enums import ChatType
from aiogram.exceptions import TelegramAPIError
from aiogram.types import Chat, TelegramObject, User
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.dispatch.i18n import locale_for_user
from bot.logs import describe_error
from bot.services.ratelimit import RateLimiter

log = logging.getLogger(__name__)


class FloodGuard(BaseMiddleware):
    """Drops the updates of a user who sends far more than a person types (a script, a
    stuck key, a spam run) before they cost a database read or a wait on that user's lock,
    so a flood from one account does not slow the bot for everyone else. The first dropped
    update of a burst gets one notice, so a real person knows why the bot went quiet.

    An outer middleware on updates, registered before the FSM middleware."""

    def __init__(self, updates: RateLimiter, notices: RateLimiter, i18n: I18n) -> None:
        self._updates = updates
        self._notices = notices
        self._i18n = i18n

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None or await self._updates.allow(f"updates:{user.id}"):
            return await handler(event, data)
        log.info("update dropped: sender over the flood limit")
        chat: Chat | None = data.get("event_chat")
        if chat is not None and chat.type == ChatType.PRIVATE:
            await self._notify(data["bot"], chat.id, user)
        return None

    async def _notify(self, bot: Bot, chat_id: int, user: User) -> None:
        if not await self._notices.allow(f"flood-notice:{user.id}"):
            return
        locale = locale_for_user(user, self._i18n.default_locale)
        with self._i18n.context(), self._i18n.use_locale(locale):
            text = _(
                "You are sending messages faster than I can read them, so I am ignoring "
                "them for a few seconds. Please wait a moment, then answer the last question."
            )
        try:
            await bot.send_message(chat_id, text)
        except TelegramAPIError as error:
            log.warning("flood notice not delivered", extra={"error": describe_error(error)})
