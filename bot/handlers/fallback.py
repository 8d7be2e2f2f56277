"""Whatever no other handler took: unknown commands, stray messages, dead buttons."""

from __future__ import annotations

from aiogram import F
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import gettext as _

from bot.dispatch.routing import RouterTemplate
from bot.flows.desk import AnswerAction
from bot.services.lookup import StatusLookup
from bot.ui.text import code

router = RouterTemplate(name="fallback")
router.message.filter(F.chat.type == ChatType.PRIVATE)


@router.message(F.text.startswith("/"))
async def unknown_command(message: Message) -> None:
    await message.answer(_("I don't know that command. Send /help to see what I can do."))


@router.message()
async def not_understood(message: Message, lookup: StatusLookup) -> None:
    waiting = await lookup.awaiting_answer(message.chat.id)
    if waiting:
        # Most likely an answer to the office's question typed without pressing Reply: say
        # that it went nowhere, and offer the button again.
        await message.answer(
            _(
                "This message was not sent to anyone. The office is waiting for your answer "
                "about {codes}: press the button below, then send your answer again."
            ).format(codes=", ".join(code(waited) for waited in waiting)),
            reply_markup=InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        InlineKeyboardButton(
                            text=_("✍️ Answer about {code}").format(code=waited),
                            callback_data=AnswerAction(action="reply", code=waited).pack(),
                        )
                    ]
                    for waited in waiting
                ]
            ),
        )
        return
    await message.answer(
        _(
            "To report a civil servant's political activity, send /lapor. "
            "To check a report, send /status followed by its code. /help lists everything."
        )
    )


@router.callback_query()
async def dead_button(callback: CallbackQuery) -> None:
    await callback.answer(_("This button is no longer active."), show_alert=True)
