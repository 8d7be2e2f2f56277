"""The Bot API client sends plain calls as JSON and uploads as form data, and Telegram reads
the same call either way: the defaults (HTML, no link previews), the buttons, a false flag
and a number all arrive as aiogram's own form encoding sends them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from bot.telegram.client import BOT_DEFAULTS, client_session
from tests.fakebot import FakeTelegram

KEYBOARD = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="Ya", callback_data="r:identity:anonymous")]]
)


@pytest.fixture
async def bots(telegram: FakeTelegram) -> AsyncIterator[tuple[Bot, Bot]]:
    ours = Bot("123456:TEST", session=client_session(telegram.url), default=BOT_DEFAULTS)
    forms = Bot(
        "123456:TEST",
        session=AiohttpSession(api=TelegramAPIServer.from_base(telegram.url)),
        default=BOT_DEFAULTS,
    )
    yield ours, forms
    await ours.session.close()
    await forms.session.close()


def _as_sent(params: dict[str, Any]) -> dict[str, Any]:
    """A form's values are strings ("42", "false"); read each as the JSON it encodes."""

    def read(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            return value

    return {key: read(value) for key, value in params.items()}


async def test_a_message_arrives_as_the_form_would_send_it(
    telegram: FakeTelegram, bots: tuple[Bot, Bot]
) -> None:
    ours, forms = bots
    for bot in (ours, forms):
        await bot.send_message(
            4242,
            "<b>Laporan</b> diterima",
            reply_markup=KEYBOARD,
            disable_notification=False,
            protect_content=True,
        )
    via_json, via_form = (call for call in telegram.calls if call.method == "sendmessage")
    assert via_json.params == _as_sent(via_form.params)
    assert via_json.params["parse_mode"] == "HTML", "the bot's default parse mode is applied"
    assert via_json.params["link_preview_options"] == {"is_disabled": True}
    assert via_json.params["disable_notification"] is False, "a false flag is still sent"
    assert via_json.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == (
        "r:identity:anonymous"
    )


async def test_a_document_is_still_uploaded(telegram: FakeTelegram, bots: tuple[Bot, Bot]) -> None:
    ours, _forms = bots
    content = b"%PDF-1.4 laporan"
    await ours.send_document(
        -1001000000001,
        BufferedInputFile(content, filename="laporan.pdf"),
        caption="Penerusan",
    )
    (call,) = (call for call in telegram.calls if call.method == "senddocument")
    assert call.params["caption"] == "Penerusan"
    (uploaded,) = call.files.values()
    assert bytes(uploaded) == content
