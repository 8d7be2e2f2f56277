"""The command menus Telegram shows beside the text field: citizens' in every private chat,
and the desk's in each staff member's private chat and in the staff group, in each
language. Staff menus follow /staff add and remove."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _

from bot.config import SUPPORTED_LOCALES
from bot.logs import describe_error

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)


def citizen_commands() -> list[BotCommand]:
    return [
        BotCommand(command="lapor", description=_("File a report")),
        BotCommand(command="status", description=_("Check a report by its code")),
        BotCommand(command="laporan", description=_("My reports")),
        BotCommand(command="batal", description=_("Cancel the report being written")),
        BotCommand(command="bahasa", description=_("Change language")),
        BotCommand(command="help", description=_("Help")),
    ]


def staff_commands(role: str) -> list[BotCommand]:
    commands = [
        BotCommand(command="inbox", description=_("Open cases, oldest first")),
        BotCommand(command="case", description=_("Everything about a case: /case CODE")),
        BotCommand(command="setstatus", description=_("Move a case: /setstatus CODE STATUS")),
        BotCommand(command="extend", description=_("Extend the decision period: /extend CODE")),
        BotCommand(command="merge", description=_("Merge a duplicate: /merge CODE INTO_CODE")),
        BotCommand(command="finding", description=_("Open a finding, or take a report up as one")),
        BotCommand(command="election", description=_("Set the election: /election CODE KIND")),
        BotCommand(command="ask", description=_("Ask the reporter: /ask CODE question")),
        BotCommand(command="note", description=_("Internal note: /note CODE text")),
        BotCommand(command="assign", description=_("Assign: /assign CODE me|USER_ID")),
        BotCommand(command="find", description=_("Find by name, agency or code")),
        BotCommand(command="overdue", description=_("Cases past their deadlines")),
        BotCommand(command="forward", description=_("Forward to BKN with the document")),
        BotCommand(command="ppk", description=_("Correct the PPK: /ppk CODE name")),
        BotCommand(command="bkn", description=_("BKN's recommendation: /bkn CODE SANCTION")),
        BotCommand(
            command="followup", description=_("Record what the Pejabat Pembina Kepegawaian did")
        ),
        BotCommand(command="transfer", description=_("Move a case to another office")),
        BotCommand(command="stats", description=_("Figures and a chart")),
        BotCommand(command="help", description=_("Help for staff")),
    ]
    if role == "admin":
        commands += [
            BotCommand(command="staff", description=_("Add, remove or list staff")),
            BotCommand(command="office", description=_("Link this group to an office, list")),
            BotCommand(
                command="export",
                description=_(
                    "Cases as XLSX or CSV: [csv] [status=KEY] [from=DD/MM/YYYY] "
                    "[to=DD/MM/YYYY] [OFFICE]"
                ),
            ),
        ]
    return commands


async def publish_menus(application: Application) -> None:
    """At start: the citizens' menu, and each staff member's and the staff group's."""
    bot, i18n, settings = application.bot, application.i18n, application.settings
    for locale in SUPPORTED_LOCALES:
        with i18n.context(), i18n.use_locale(locale):
            commands = citizen_commands()
        language = None if locale == settings.default_locale else locale
        await bot.set_my_commands(
            commands, scope=BotCommandScopeAllPrivateChats(), language_code=language
        )
    # Every office's group (the national fallback STAFF_CHAT_ID among them) and every staff
    # member's private chat.
    for chat_id in set((await application.services.offices.groups()).values()):
        await _set(bot, i18n, settings.default_locale, chat_id, "officer")
    for member in await application.services.staff_directory.members():
        await _set(bot, i18n, settings.default_locale, member.user_id, member.role)


async def show_staff_menu(
    bot: Bot, i18n: I18n, default_locale: str, user_id: int, role: str
) -> None:
    """A staff member added, or their role changed."""
    await _set(bot, i18n, default_locale, user_id, role)


async def withdraw_staff_menu(bot: Bot, user_id: int) -> None:
    """A staff member removed: their chat shows the citizens' menu again."""
    for locale in (None, *SUPPORTED_LOCALES):
        try:
            await bot.delete_my_commands(
                scope=BotCommandScopeChat(chat_id=user_id), language_code=locale
            )
        except TelegramAPIError as error:
            log.info("staff menu not withdrawn", extra={"error": describe_error(error)})
            return


async def _set(bot: Bot, i18n: I18n, default_locale: str, chat_id: int, role: str) -> None:
    # A chat scope needs a chat the bot knows: a member who never opened a private chat
    # with the bot gets their menu the next time it starts, or when re-added.
    for locale in SUPPORTED_LOCALES:
        with i18n.context(), i18n.use_locale(locale):
            commands = staff_commands(role)
        language = None if locale == default_locale else locale
        try:
            await bot.set_my_commands(
                commands, scope=BotCommandScopeChat(chat_id=chat_id), language_code=language
            )
        except TelegramAPIError as error:
            log.info("staff menu not set", extra={"error": describe_error(error)})
            return
