"""What the outbox sender sends: each row rendered as one Bot API request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

from aiogram import Bot
from aiogram.types import InlineKeyboardMarkup, ReplyParameters

from storage.models import Outbox


class Delivery(Protocol):
    """One outbox row made ready to send: one Bot API request, whose message id is
    returned (None when Telegram gives none)."""

    async def deliver(self, bot: Bot, chat_id: int, *, timeout: int) -> int | None: ...


@dataclass(frozen=True)
class RenderedMessage:
    text: str
    reply_markup: InlineKeyboardMarkup | None = None
    # Shown as a reply to this message of the chat (a staff card), if it still exists.
    reply_to: int | None = None

    async def deliver(self, bot: Bot, chat_id: int, *, timeout: int) -> int | None:
        sent = await bot.send_message(
            chat_id,
            self.text,
            reply_markup=self.reply_markup,
            reply_parameters=replying_to(self.reply_to),
            request_timeout=timeout,
        )
        return sent.message_id


def replying_to(message_id: int | None) -> ReplyParameters | None:
    if message_id is None:
        return None
    return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)


# A renderer returns what to send, None when the row has nothing left to say (a staff card
# superseded by a later one), and may be a coroutine when it must read the database.
Rendered = Delivery | None
Renderer = Callable[[Outbox], "Rendered | Awaitable[Rendered]"]
