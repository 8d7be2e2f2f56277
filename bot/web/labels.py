"""Labels for the stable keys the site shows: the bot's tables (bot/ui/key_labels.py),
translated through the site's own catalogues, since the bot's read aiogram's context."""

from __future__ import annotations

from bot.ui.key_labels import category_labels, status_labels
from bot.web.i18n import _


def category_label(key: str) -> str:
    return category_labels(_).get(key, key)


def status_label(key: str) -> str:
    return status_labels(_).get(key, key)
