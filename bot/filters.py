"""Access control for staff routers, checked on every message and every button press."""

from __future__ import annotations

from typing import Any

from aiogram.filters import BaseFilter
from aiogram.types import TelegramObject, User

from bot.services.staff import StaffDirectory


class StaffOnly(BaseFilter):
    """Passes staff (or only admins) and hands the handler their role as `staff_role`."""

    def __init__(self, *, admin: bool = False) -> None:
        self.admin = admin

    async def __call__(
        self,
        event: TelegramObject,
        staff_directory: StaffDirectory,
        event_from_user: User | None = None,
    ) -> bool | dict[str, Any]:
        if event_from_user is None:
            return False
        role = await staff_directory.role_of(event_from_user.id)
        if role is None or (self.admin and role != "admin"):
            return False
        return {"staff_role": role}
