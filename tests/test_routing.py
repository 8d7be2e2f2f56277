"""The router tree's filters and handlers all run on the event loop.

aiogram runs any filter or handler that is not a coroutine in a worker thread; a magic
filter (`F.…`) registered as is would cost every update that reaches it a hand-off to a
thread and back (bot/dispatch/routing.py). This walks the tree the dispatcher uses."""

from __future__ import annotations

from collections.abc import Iterator

from aiogram import Router
from aiogram.dispatcher.event.handler import CallableObject

from bot.handlers import build_routers


def _callables(router: Router, path: str) -> Iterator[tuple[str, CallableObject]]:
    for event, observer in router.observers.items():
        where = f"{path}/{router.name}.{event}"
        for router_filter in observer._handler.filters or []:
            yield f"{where} filter {router_filter.callback!r}", router_filter
        for handler in observer.handlers:
            yield f"{where} handler {handler.callback.__name__}", handler
            for handler_filter in handler.filters or []:
                yield (
                    f"{where} {handler.callback.__name__} filter {handler_filter.callback!r}",
                    (handler_filter),
                )
    for child in router.sub_routers:
        yield from _callables(child, f"{path}/{router.name}")


def test_no_filter_or_handler_is_sent_to_a_thread() -> None:
    found = [
        (where, callable_object)
        for router in build_routers()
        for where, callable_object in _callables(router, "")
    ]
    assert len(found) > 50  # the walk reached the handlers and their filters
    in_threads = [where for where, callable_object in found if not callable_object.awaitable]
    assert in_threads == []
