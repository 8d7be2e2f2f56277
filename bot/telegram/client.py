"""The Bot API client: our server address, retries for passing failures, HTML by default."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import TelegramMethod
from aiogram.methods.base import TelegramType
from aiogram.types import InputFile
from aiohttp import ClientError

from bot.telegram.retry import TransientErrorRetry

if TYPE_CHECKING:
    from bot.config import Settings

BOT_DEFAULTS = DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True)
_JSON = {"Content-Type": "application/json"}


class JsonBodySession(AiohttpSession):
    """aiogram's session, with calls that upload no file sent as a JSON body.

    aiogram posts every call as multipart form data: a random boundary, one part per
    parameter, each nested object serialised on its own. That was 13% of the bot's time
    under load (bench/RESULTS.md); the Bot API takes the same call as one JSON object.
    Uploads (documents, photos) still go as form data, the only way to send a file."""

    def json_body(self, bot: Bot, method: TelegramMethod[Any]) -> bytes | None:
        """The call as JSON, or None when it carries a file to upload."""
        files: dict[str, InputFile] = {}
        body: dict[str, Any] = {}
        for key, value in method.model_dump(warnings=False).items():
            prepared = self.prepare_value(value, bot=bot, files=files, _dumps_json=False)
            # The form leaves out what it would send empty; so does the JSON.
            if prepared is None or prepared == "":
                continue
            body[key] = prepared
        if files:
            return None
        return self.json_dumps(body).encode()

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,
    ) -> TelegramType:
        body = self.json_body(bot, method)
        if body is None:
            return await super().make_request(bot, method, timeout)
        session = await self.create_session()
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        try:
            async with session.post(
                url,
                data=body,
                headers=_JSON,
                timeout=self.timeout if timeout is None else timeout,
            ) as response:
                raw_result = await response.text()
        except TimeoutError as error:
            raise TelegramNetworkError(method=method, message="Request timeout error") from error
        except ClientError as error:
            message = f"{type(error).__name__}: {error}"
            raise TelegramNetworkError(method=method, message=message) from error
        checked = self.check_response(
            bot=bot, method=method, status_code=response.status, content=raw_result
        )
        return cast(TelegramType, checked.result)


def client_session(api_url: str) -> AiohttpSession:
    """The HTTP session every Bot API call goes through (the echo bot of bench/ uses it
    too, so that the two differ only in the work they do per update)."""
    session = JsonBodySession(api=TelegramAPIServer.from_base(api_url))
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
