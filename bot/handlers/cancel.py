"""/batal: leave the report being written, from any step."""

from __future__ import annotations

from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message, ReplyKeyboardRemove
from aiogram.utils.i18n import gettext as _

from bot.dispatch.routing import RouterTemplate
from bot.services.intake import IntakeService
from bot.ui.text import code, quote

router = RouterTemplate(name="cancel")


@router.message(Command("batal", "cancel"))
async def cancel(message: Message, state: FSMContext, intake: IntakeService) -> None:
    if await state.get_state() is None:
        await message.answer(
            _("There is nothing to cancel. Send /lapor to file a report."),
            reply_markup=ReplyKeyboardRemove(),
        )
        return
    # Submit may have stored the case and then failed to show its code (Telegram down, the
    # process killed in between): the report is filed, and saying "cancelled" would be false.
    submitted = (await state.get_data()).get("submission_code")
    user_id = message.from_user.id if message.from_user else None
    filed = (
        await intake.filed(submitted, chat_id=message.chat.id, user_id=user_id)
        if submitted
        else None
    )
    await state.clear()
    if filed is not None:
        await message.answer(
            _(
                "Your report had already been received, so it cannot be cancelled here. "
                "Its tracking code is {code}; check it with /status {plain_code}."
            ).format(code=code(filed.code), plain_code=quote(filed.code)),
            reply_markup=ReplyKeyboardRemove(),
        )
        return
    await message.answer(
        _("Your report has been cancelled and its answers deleted. Send /lapor to start again."),
        reply_markup=ReplyKeyboardRemove(),
    )
