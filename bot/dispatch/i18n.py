"""Translation set-up: the Babel catalogues in bot/locales, read from their .po files when
the bot starts, and the locale chosen per update.

The .po files are read directly (compiled in memory) rather than from .mo files: an install
step that compiles them is one more thing an operator can forget, and an installed package
may live where the bot cannot write."""

from __future__ import annotations

import gettext
import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
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


class CatalogueI18n(I18n):
    """aiogram's I18n, loading each locale's .po file instead of a compiled .mo."""

    @contextmanager
    def context(self) -> Iterator[I18n]:
        # aiogram's `_()` finds the current I18n through I18n's own context variable; a
        # subclass is given a variable of its own (ContextInstanceMixin), which `_()` would
        # never read.
        token = I18n.set_current(self)
        try:
            yield self
        finally:
            I18n.reset_current(token)

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        translations: dict[str, gettext.GNUTranslations] = {}
        for po_path in sorted(self.path.glob(f"*/LC_MESSAGES/{self.domain}.po")):
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file)
            compiled = io.BytesIO()
            write_mo(compiled, catalog)
            compiled.seek(0)
            translations[po_path.parent.parent.name] = gettext.GNUTranslations(compiled)
        return translations


def create_i18n(default_locale: str) -> I18n:
    return CatalogueI18n(path=LOCALES_DIR, default_locale=default_locale, domain=DOMAIN)


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
