"""Translation set-up: Babel catalogues in locales/, the locale chosen per update."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from aiogram.types import TelegramObject, User
from aiogram.utils.i18n import I18n, I18nMiddleware
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.config import SUPPORTED_LOCALES
from bot.services.languages import LanguageChoices
from storage.db import DATABASE_ERRORS

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

log = logging.getLogger(__name__)


def compile_catalogues(locales_dir: Path = LOCALES_DIR) -> None:
    """Write .mo files for .po files newer than them (the install step normally does this)."""
    for po_path in locales_dir.glob(f"*/LC_MESSAGES/{DOMAIN}.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        log.info("compiled translations", extra={"catalogue": str(po_path)})


def create_i18n(default_locale: str) -> I18n:
    compile_catalogues()
    return I18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)


def locale_for_user(user: User | None, default_locale: str) -> str:
    """Telegram's language setting, when it is one we speak; Indonesian otherwise."""
    language = (user.language_code or "") if user else ""
    base = language.split("-")[0].lower()
    return base if base in SUPPORTED_LOCALES and base != default_locale else default_locale


class ChatLocaleMiddleware(I18nMiddleware):
    """A choice made with /bahasa wins over the Telegram app's language."""

    def __init__(self, i18n: I18n, choices: LanguageChoices) -> None:
        super().__init__(i18n)
        self._choices = choices

    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        chat = data.get("event_chat")
        if chat is not None:
            try:
                chosen = await self._choices.chosen(chat.id)
            except DATABASE_ERRORS:
                # With the database down the user must still be told so, in some language:
                # the one their Telegram app uses.
                log.warning("language choice unavailable: database error")
                chosen = None
            if chosen:
                return chosen
        return locale_for_user(data.get("event_from_user"), self.i18n.default_locale)
