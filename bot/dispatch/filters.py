"""Access control for staff routers, checked on every message and every button press."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from aiogram.enums import ChatType
from aiogram.filters import BaseFilter
from aiogram.types import Chat, TelegramObject, User

from bot.services.offices import OfficeDirectory, covers
from bot.services.staff import StaffDirectory


class StaffOnly(BaseFilter):
    """Passes staff (or only admins) and hands the handler `staff` (their role and office,
    whose cases are all they see) and `sees_identity`: whether a reporter's name and phone
    may be shown in this chat.

    Only in a private chat or an office's staff group: a staff member typing /case in some
    other group must not show a case to that group. In an office's group their scope is
    that office's (or their own, if narrower). Identity is decided here, once, rather
    than by each handler: only an admin, and only in a private chat with the bot; in a group
    everyone present would read it, whoever asked."""

    def __init__(self, *, admin: bool = False, any_chat: bool = False) -> None:
        self.admin = admin
        # For /office link, sent in a group that is no office's yet.
        self.any_chat = any_chat

    async def __call__(
        self,
        event: TelegramObject,
        staff_directory: StaffDirectory,
        offices: OfficeDirectory,
        event_from_user: User | None = None,
        event_chat: Chat | None = None,
    ) -> bool | dict[str, Any]:
        if event_from_user is None or event_chat is None:
            return False
        member = await staff_directory.member(event_from_user.id)
        if member is None or (self.admin and not member.is_admin):
            return False
        private = event_chat.type == ChatType.PRIVATE
        if not (private or self.any_chat):
            group_office = await offices.office_of_chat(event_chat.id)
            if group_office is None:
                return False
            # An office's group sees that office's cases, whoever asks: staff of an office
            # above it act there as that office (RI's /inbox would list the whole country,
            # its /case another province's case with the reporter's words, to a group that
            # is not theirs), and staff of an unrelated office not at all.
            if covers(member.office, group_office):
                member = replace(member, office=group_office)
            elif not covers(group_office, member.office):
                return False
        # Shown where they acted (cards, history) instead of their id.
        await staff_directory.remember_name(member.user_id, event_from_user.full_name)
        return {
            "staff": member,
            "sees_identity": member.is_admin and private,
        }
