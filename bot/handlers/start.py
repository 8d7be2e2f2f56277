"""Welcome, help and language choice."""

from __future__ import annotations

from aiogram import F
from aiogram.filters import Command, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.config import SUPPORTED_LOCALES
from bot.dispatch.routing import RouterTemplate
from bot.flows.navigation import repeat_question
from bot.flows.report import MenuAction
from bot.services.languages import LanguageChoices

router = RouterTemplate(name="start")

# Each language by its own name, as its speakers look for it.
LANGUAGE_NAMES = {"id": "Bahasa Indonesia", "en": "English"}
LANGUAGE_FLAGS = {"id": "🇮🇩", "en": "🇬🇧"}


def _welcome_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("📝 File a report"), callback_data=MenuAction(action="report").pack()
                )
            ]
        ]
    )


@router.message(CommandStart())
async def welcome(message: Message, state: FSMContext) -> None:
    await message.answer(
        _(
            "👋 Welcome to <b>Lapor Netral</b>.\n\n"
            "Civil servants (ASN), village heads and their staff, and members of the TNI and "
            "Polri must stay politically neutral during elections. If you saw one of them "
            "campaigning — on social media, at a rally, or using office resources for a "
            "candidate — you can report it here in a few minutes.\n\n"
            "🔒 <b>Your privacy</b>: you may report anonymously. If you give your name and "
            "address (and a phone number if you wish), only the supervising admins can see "
            "them; the officers reviewing your report never see who you are. Photos, videos "
            "and PDFs are stripped of location, device and author data.\n\n"
            "You will get a tracking code, and we will tell you here whenever your report moves."
        ),
        reply_markup=_welcome_keyboard(),
    )
    # A report already under way is not lost behind the welcome: its question again.
    await repeat_question(message, state)


@router.message(Command("help"))
async def help_text(message: Message) -> None:
    await message.answer(
        _(
            "<b>What you can do</b>\n"
            "/lapor — file a new report (also /report)\n"
            "/status CODE — check a report's status, e.g. /status ASN-7K2M-9QXD\n"
            "/laporan — the reports you filed from this chat (also /mine)\n"
            "/batal — cancel the report you are writing (also /cancel)\n"
            "/bahasa — change language (also /language)\n"
            "/help — this message\n\n"
            "While filing a report, answer each question; use ⬅️ Back to change an earlier "
            "answer. You can check everything before sending."
        )
    )


@router.message(Command("bahasa", "language"))
async def choose_language(message: Message) -> None:
    await message.answer(
        _("Choose your language:"),
        reply_markup=InlineKeyboardMarkup(
            inline_keyboard=[
                [
                    InlineKeyboardButton(
                        text=f"{LANGUAGE_FLAGS[code]} {name}",
                        callback_data=MenuAction(action="lang", value=code).pack(),
                    )
                    for code, name in LANGUAGE_NAMES.items()
                ]
            ]
        ),
    )


@router.callback_query(MenuAction.filter(F.action == "lang"))
async def language_chosen(
    callback: CallbackQuery,
    callback_data: MenuAction,
    language_choices: LanguageChoices,
    i18n: I18n,
) -> None:
    if callback_data.value not in SUPPORTED_LOCALES or not isinstance(callback.message, Message):
        await callback.answer(_("This button is no longer active."), show_alert=True)
        return
    await language_choices.choose(callback.message.chat.id, callback_data.value)
    with i18n.use_locale(callback_data.value):
        await callback.answer()
        await callback.message.edit_text(
            _("From now on I will write to you in {language}.").format(
                language=LANGUAGE_NAMES[callback_data.value]
            )
        )
