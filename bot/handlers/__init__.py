"""Telegram adapter: each module reads an update, calls a service, renders a reply. This
module owns the router tree and its order, so the order is code, not a comment."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.enums import ChatType

from bot.dispatch.routing import RouterTemplate
from bot.handlers import (
    admin,
    answer,
    cancel,
    citizen_errors,
    desk_buttons,
    desk_errors,
    errors,
    evidence,
    fallback,
    report,
    staff,
    start,
    status,
)


def build_routers() -> list[Router]:
    """A fresh router tree for one dispatcher (tests and instances build several).

    Staff routers come first and admit staff only; everyone else falls through to the
    citizen routers and the fallback, and so gets the answer any unknown command gets. The
    citizen conversation happens only in private chats; within it, specific commands come
    before the report flow so /batal, /help and /bahasa work at any step, and the flow's
    catch-alls come last. Domain errors are answered by their own routers before the last
    resort that answers any failed update."""
    citizen = RouterTemplate(name="citizen")
    citizen.message.filter(F.chat.type == ChatType.PRIVATE)
    citizen.edited_message.filter(F.chat.type == ChatType.PRIVATE)
    citizen.callback_query.filter(F.message.chat.type == ChatType.PRIVATE)
    for module in (start, cancel, answer, evidence, report):
        citizen.include_router(module.router)
    return [
        status.router.build(),
        staff.router.build(),
        admin.router.build(),
        admin.offices_router.build(),
        desk_buttons.router.build(),
        citizen.build(),
        fallback.router.build(),
        desk_errors.router.build(),
        citizen_errors.router.build(),
        errors.router.build(),
    ]
