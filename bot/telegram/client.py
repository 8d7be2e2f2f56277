"""The Bot API client: our server address, retries for passing failures, HTML by default."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.telegram.retry import TransientErrorRetry

if TYPE_CHECKING:
    from bot.config import Settings

BOT_DEFAULTS = DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True)


def client_session(api_url: str) -> AiohttpSession:
    """The HTTP session every Bot API call goes through (the echo bot of bench/ uses it
    too, so that the two differ only in the work they do per update)."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(api_url))
    session.middleware(TransientErrorRetry())
    return session


def create_bot(settings: Settings) -> Bot:
    # Imported here: it names our polling's method, which brings the database layer along.
    from bot.telegram.response_types import hold_response_types

    hold_response_types()
    return Bot(
        token=settings.bot_token,
        session=client_session(settings.telegram_api_url),
        default=BOT_DEFAULTS,
    )
