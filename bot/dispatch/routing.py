"""Routers declared once at import, built fresh for every dispatcher.

aiogram attaches a Router to exactly one parent, so a module-level Router could serve only
one dispatcher per process; tests and multi-instance runs build several. Handler modules
declare handlers on a RouterTemplate with the usual decorator syntax, and build_dispatcher
calls `build()` for a new Router each time.

Every magic filter (`F.…`) and bare state is registered as an awaitable filter: aiogram
runs any filter that is not a coroutine in a worker thread (`asyncio.to_thread`), and a
citizen's update meets several of them on its way through the routers. Each was a
hand-off to a thread and back for a comparison that takes a microsecond.

aiogram walks the tree router by router, and each router it enters costs it several calls,
each copying the update's data dict. So the tree is built no deeper than its filters need:
a child router with no filters of its own has its handlers appended to its parent's, in the
same order aiogram would have tried them; and a built router passes over an update type
that nothing below it handles. A citizen's report step met 12 routers; now 5 or 6."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiogram import Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.filters import Filter, StateFilter
from aiogram.fsm.state import State
from aiogram.types import TelegramObject
from magic_filter import MagicFilter

# The update types a template takes handlers for, as aiogram names its observers.
HANDLED_EVENTS = ("message", "edited_message", "callback_query", "error")


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


class LeanRouter(Router):
    """A router that turns an update type away at once when nothing below it handles it:
    aiogram would enter it anyway, run its (empty) checks and each sub-router's in turn."""

    handled: frozenset[str] = frozenset()

    def seal(self) -> None:
        """Records what this router and those below it handle, once the tree below it is
        complete: built routers get no handlers or middlewares later (middlewares go on
        the dispatcher)."""
        own = {event for event, observer in self.observers.items() if observer.handlers}
        below = [
            child.handled if isinstance(child, LeanRouter) else set(child.observers)
            for child in self.sub_routers
        ]
        self.handled = frozenset(own.union(*below))

    async def propagate_event(self, update_type: str, event: TelegramObject, **kwargs: Any) -> Any:
        if update_type not in self.handled:
            return UNHANDLED
        return await super().propagate_event(update_type, event, **kwargs)


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

    def build(self) -> LeanRouter:
        router = LeanRouter(name=self.name)
        for event, observer in self._observers():
            if observer.filters:
                router.observers[event].filter(*on_the_loop(observer.filters))
        self._register_into(router)
        router.seal()
        return router

    def _observers(self) -> tuple[tuple[str, _Observer], ...]:
        observers = (self.message, self.edited_message, self.callback_query, self.errors)
        return tuple(zip(HANDLED_EVENTS, observers, strict=True))

    def _has_filters(self) -> bool:
        return any(observer.filters for _, observer in self._observers())

    def _register_into(self, router: Router) -> None:
        """This template's handlers, then its children's, into `router`. aiogram tries a
        router's own handlers before any sub-router's, so a filterless child's handlers can
        join the parent's list only while no sub-router has been attached before them."""
        for event, observer in self._observers():
            for handler, filters, kwargs in observer.handlers:
                router.observers[event].register(handler, *on_the_loop(filters), **kwargs)
        for child in self._children:
            if child._has_filters() or router.sub_routers:
                router.include_router(child.build())
            else:
                child._register_into(router)
