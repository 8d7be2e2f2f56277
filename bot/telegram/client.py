"""The Bot API client: our server address, retries for passing failures, HTML by default."""

from __future__ import annotations

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.config import Settings
from bot.telegram.response_types import hold_response_types
from bot.telegram.retry import TransientErrorRetry


def create_bot(settings: Settings) -> Bot:
    hold_response_types()
    session = AiohttpSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
    session.middleware(TransientErrorRetry())
    return Bot(
        token=settings.bot_token,
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )
