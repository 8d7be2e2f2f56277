"""Whatever no other handler took: unknown commands, stray messages, dead buttons."""

from __future__ import annotations

from aiogram import F
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, Message
from aiogram.utils.i18n import gettext as _

from bot.dispatch.routing import RouterTemplate

router = RouterTemplate(name="fallback")
router.message.filter(F.chat.type == ChatType.PRIVATE)


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(_("I don't know that command. Send /help to see what I can do."))


@router.message()
async def not_understood(message: Message) -> None:
    await message.answer(
        _(
            "To report a civil servant's political activity, send /lapor. "
            "To check a report, send /status followed by its code. /help lists everything."
        )
    )


@router.callback_query()
async def dead_button(callback: CallbackQuery) -> None:
    await callback.answer(_("This button is no longer active."), show_alert=True)
