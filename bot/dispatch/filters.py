"""Access control for staff routers, checked on every message and every button press."""

from __future__ import annotations

from typing import Any

from aiogram.enums import ChatType
from aiogram.filters import BaseFilter
from aiogram.types import Chat, TelegramObject, User

from bot.config import Settings
from bot.services.staff import StaffDirectory


class StaffOnly(BaseFilter):
    """Passes staff (or only admins) and hands the handler their role as `staff_role`, and
    `sees_identity`: whether a reporter's name and phone may be shown in this chat.

    Only in a private chat or the staff chat: a staff member typing /case in some other
    group must not show a case to that group. Identity is decided here, once, rather than
    by each handler: only an admin, and only in a private chat with the bot; in a group
    everyone present would read it, whoever asked."""

    def __init__(self, *, admin: bool = False) -> None:
        self.admin = admin

    async def __call__(
        self,
        event: TelegramObject,
        staff_directory: StaffDirectory,
        settings: Settings,
        event_from_user: User | None = None,
        event_chat: Chat | None = None,
    ) -> bool | dict[str, Any]:
        if event_from_user is None or event_chat is None:
            return False
        if event_chat.type != ChatType.PRIVATE and event_chat.id != settings.staff_chat_id:
            return False
        role = await staff_directory.role_of(event_from_user.id)
        if role is None or (self.admin and role != "admin"):
            return False
        return {
            "staff_role": role,
            "sees_identity": role == "admin" and event_chat.type == ChatType.PRIVATE,
        }
