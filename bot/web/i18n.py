"""The site's translations: the bot's own Babel catalogues (bot/locales), compiled in
memory from their .po files as the bot compiles them (bot/dispatch/i18n.py), and chosen per
request with `?lang=`. No aiogram context: `_()` reads the request's translations from a
context variable that the locale middleware (bot/web/app.py) sets."""

from __future__ import annotations

import gettext
import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.config import SUPPORTED_LOCALES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"

_current: ContextVar[gettext.NullTranslations | None] = ContextVar("web_translations", default=None)
_locale: ContextVar[str] = ContextVar("web_locale", default="id")


@cache
def translations(locale: str) -> gettext.NullTranslations:
    path = LOCALES_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not path.is_file():
        return gettext.NullTranslations()
    with path.open("rb") as po_file:
        catalog = read_po(po_file)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def choose_locale(asked: str | None, default: str) -> str:
    return asked if asked in SUPPORTED_LOCALES else default


def use_locale(locale: str) -> None:
    """For the rest of this request (each aiohttp request runs in its own task)."""
    _locale.set(locale)
    _current.set(translations(locale))


def current_locale() -> str:
    return _locale.get()


def _(message: str) -> str:
    current = _current.get()
    return current.gettext(message) if current is not None else message
