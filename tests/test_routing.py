"""The router tree's filters and handlers all run on the event loop.

aiogram runs any filter or handler that is not a coroutine in a worker thread; a magic
filter (`F.…`) registered as is would cost every update that reaches it a hand-off to a
thread and back (bot/dispatch/routing.py). This walks the tree the dispatcher uses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher, F, Router
from aiogram.dispatcher.event.bases import UNHANDLED
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.types import Chat, Message, Update, User

from bot.dispatch.routing import RouterTemplate
from bot.handlers import build_routers
from tests.helpers.bot import TEST_TOKEN


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
                    handler_filter,
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


def _tree_with_every_shape() -> RouterTemplate:
    """A parent with its own handler, then a filterless child (inlined), a filtered child
    (kept as a router), a filterless child after it (must stay behind it), and an edited
    message handled only two levels down."""
    parent = RouterTemplate(name="parent")
    before = RouterTemplate(name="before")
    filtered = RouterTemplate(name="filtered")
    after = RouterTemplate(name="after")
    deep = RouterTemplate(name="deep")
    filtered.message.filter(F.text.startswith("f"))
    deep.edited_message.filter(F.text == "edited")
    for child in (before, filtered, after):
        parent.include_router(child)
    after.include_router(deep)

    def answers(name: str) -> Callable[[Message], Awaitable[str]]:
        async def handler(message: Message) -> str:
            return name

        return handler

    parent.message(F.text == "own")(answers("parent"))
    before.message(F.text.in_({"own", "before"}))(answers("before"))
    filtered.message(F.text.in_({"f1", "f2"}))(answers("filtered"))
    after.message(F.text.in_({"f1", "f3", "after"}))(answers("after"))
    deep.edited_message()(answers("deep"))
    return parent


def _update(text: str, *, edited: bool = False) -> Update:
    message = Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(id=1, type="private"),
        from_user=User(id=1, is_bot=False, first_name="A"),
        text=text,
    )
    return (
        Update(update_id=1, edited_message=message)
        if edited
        else Update(update_id=1, message=message)
    )


async def test_a_flattened_tree_answers_as_aiogram_would_have() -> None:
    dispatcher = Dispatcher()
    dispatcher.include_router(_tree_with_every_shape().build())
    bot = Bot(TEST_TOKEN)
    try:
        answered = {
            text: await dispatcher.feed_update(bot, _update(text))
            for text in ("own", "before", "f1", "f2", "f3", "after", "other")
        }
        edited = await dispatcher.feed_update(bot, _update("edited", edited=True))
    finally:
        await bot.session.close()
    assert answered == {
        "own": "parent",  # a router's own handlers come before its children's
        "before": "before",
        "f1": "filtered",  # not "after": the filterless child after a router stays behind it
        "f2": "filtered",
        "f3": "after",  # the filtered router turned it away, and the walk went on
        "after": "after",
        "other": UNHANDLED,
    }
    assert edited == "deep"  # handled only two routers down, and still reached
