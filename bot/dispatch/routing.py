"""Routers declared once at import, built fresh for every dispatcher.

aiogram attaches a Router to exactly one parent, so a module-level Router could serve only
one dispatcher per process; tests and multi-instance runs build several. Handler modules
declare handlers on a RouterTemplate with the usual decorator syntax, and build_dispatcher
calls `build()` for a new Router each time.

Every magic filter (`F.…`) and bare state is registered as an awaitable filter: aiogram
runs any filter that is not a coroutine in a worker thread (`asyncio.to_thread`), and a
citizen's update meets several of them on its way through the routers. Each was a
hand-off to a thread and back for a comparison that takes a microsecond."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.state import State
from aiogram.types import TelegramObject
from magic_filter import MagicFilter


class OnTheLoop(Filter):
    """A magic filter resolved on the event loop rather than in aiogram's thread pool."""

    def __init__(self, magic: MagicFilter) -> None:
        self.magic = magic

    async def __call__(self, event: TelegramObject, /) -> Any:
        return self.magic.resolve(event)


def on_the_loop(filters: tuple[Any, ...] | list[Any]) -> list[Any]:
    """The filters, each one aiogram will await: magic filters wrapped, and a bare state
    (`ReportForm.place`, a plain callable too) as the equivalent StateFilter."""
    return [
        OnTheLoop(f)
        if isinstance(f, MagicFilter)
        else StateFilter(f)
        if isinstance(f, State)
        else f
        for f in filters
    ]


class _Observer:
    def __init__(self) -> None:
        self.filters: list[Any] = []
        self.handlers: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []

    def __call__(self, *filters: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], Any]:
        def register(handler: Callable[..., Any]) -> Callable[..., Any]:
            self.handlers.append((handler, filters, kwargs))
            return handler

        return register

    def filter(self, *filters: Any) -> None:
        self.filters.extend(filters)


class RouterTemplate:
    def __init__(self, name: str) -> None:
        self.name = name
        self.message = _Observer()
        self.edited_message = _Observer()
        self.callback_query = _Observer()
        self.errors = _Observer()
        self._children: list[RouterTemplate] = []

    def include_router(self, child: RouterTemplate) -> None:
        self._children.append(child)

    def build(self) -> Router:
        router = Router(name=self.name)
        observers = (
            ("message", self.message),
            ("edited_message", self.edited_message),
            ("callback_query", self.callback_query),
            ("error", self.errors),
        )
        for event, observer in observers:
            target = router.observers[event]
            if observer.filters:
                target.filter(*on_the_loop(observer.filters))
            for handler, filters, kwargs in observer.handlers:
                target.register(handler, *on_the_loop(filters), **kwargs)
        for child in self._children:
            router.include_router(child.build())
        return router
