"""Every user-facing string must reach users in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{\w+\}")


def catalogue(locale: str):  # type: ignore[no-untyped-def]
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def strings_in_code() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT / "bot", method_map=[("**.py", "python")], keywords={"_": None, "__": None}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


@pytest.mark.parametrize("locale", ["id", "en"])
def test_every_string_in_the_code_is_translated(locale: str) -> None:
    entries = {message.id: message for message in catalogue(locale) if message.id}
    missing = sorted(text for text in strings_in_code() if text not in entries)
    assert not missing, f"not in the {locale} catalogue (run scripts/translations.py update)"
    empty = sorted(m.id for m in entries.values() if not m.string)
    fuzzy = sorted(m.id for m in entries.values() if m.fuzzy)
    assert not empty, f"untranslated in {locale}: {empty}"
    assert not fuzzy, f"fuzzy in {locale}: {fuzzy}"


def test_translations_keep_placeholders_and_markup() -> None:
    for message in catalogue("id"):
        if not message.id:
            continue
        assert set(PLACEHOLDER.findall(message.id)) == set(PLACEHOLDER.findall(message.string)), (
            message.id
        )
        assert message.id.count("<b>") == message.string.count("<b>"), message.id
