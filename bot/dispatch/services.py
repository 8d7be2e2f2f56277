"""The long-lived services, handed to a handler once aiogram has chosen it.

aiogram passes its data dict as keyword arguments to every router, filter and handler check
an update meets on the way to its handler, copying it at each step. Given to the dispatcher
as workflow data, the services would double that dict's length for every one of those
copies, though only the chosen handler reads them. An inner middleware on the dispatcher
runs once per update, around the chosen handler, and adds them there. Filters read only
what they are given at the dispatcher (bot/app.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.types import TelegramObject

from bot.dispatch.routing import HANDLED_EVENTS


class ServicesForHandler(BaseMiddleware):
    def __init__(self, services: Mapping[str, Any]) -> None:
        self.services = dict(services)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        data.update(self.services)
        return await handler(event, data)

    def setup(self, dispatcher: Router) -> None:
        for event in HANDLED_EVENTS:
            dispatcher.observers[event].middleware(self)
