"""/batal: leave the report being written, from any step."""

from __future__ import annotations

from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _

from bot.routing import RouterTemplate

router = RouterTemplate(name="cancel")


@router.message(Command("batal", "cancel"))
async def cancel(message: Message, state: FSMContext) -> None:
    if await state.get_state() is None:
        await message.answer(
            _("There is nothing to cancel. Send /lapor to file a report."),
            reply_markup=ReplyKeyboardRemove(),
        )
        return
    await state.clear()
    await message.answer(
        _("Your report has been cancelled and its answers deleted. Send /lapor to start again."),
        reply_markup=ReplyKeyboardRemove(),
    )
