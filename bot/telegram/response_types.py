"""Keeping aiogram's response types alive.

aiogram validates every Bot API answer as `Response[<the method's return type>]`, a pydantic
generic built on first use and kept only weakly by pydantic's cache. Under load the garbage
collector drops them, so calls rebuild the type again and again: about 2 ms each, a fifth of
the bot's CPU time in the intake benchmark (bench/RESULTS.md). Holding a reference to each
type makes every call a cache hit."""

from __future__ import annotations

from typing import Any

from aiogram import methods
from aiogram.methods import Response

from bot.telegram.polling import GetRawUpdates

_held: list[Any] = []


# The methods this bot calls.
_USED = (
    GetRawUpdates,
    methods.AnswerCallbackQuery,
    methods.DeleteMessage,
    methods.DeleteWebhook,
    methods.EditMessageCaption,
    methods.EditMessageReplyMarkup,
    methods.EditMessageText,
    methods.GetFile,
    methods.GetMe,
    methods.SendDocument,
    methods.SendMediaGroup,
    methods.SendMessage,
    methods.SendPhoto,
    methods.SetMyCommands,
    methods.SetWebhook,
)


def hold_response_types() -> None:
    """Build and keep `Response[...]` for every method the bot calls (once per process)."""
    if not _held:
        _held.extend(Response[method.__returning__] for method in _USED)
