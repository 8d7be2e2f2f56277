"""Every user-facing string must reach users in both languages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from scripts.translatable import translatable

ROOT = Path(__file__).resolve().parent.parent
PLACEHOLDER = re.compile(r"\{\w+\}")


def catalogue(locale: str):  # type: ignore[no-untyped-def]
    with (ROOT / "bot" / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=locale)


def strings_in_code() -> set[str]:
    """Every string given to _() or __() anywhere in bot/, f-strings included."""
    found, _refused = translatable(ROOT / "bot")
    return {item.text for item in found}


def test_every_translation_call_is_given_a_plain_string() -> None:
    """A catalogue holds literal strings only: _(f"...") or _(variable) can never be
    translated, so they are refused here rather than shown in English."""
    _found, refused = translatable(ROOT / "bot")
    assert not refused, f"_() given something other than a string literal at {refused}"


def test_the_check_sees_strings_inside_f_strings(tmp_path: Path) -> None:
    package = tmp_path / "bot"
    package.mkdir()
    (package / "screen.py").write_text(
        "def summary(identity):\n    return f\"{bold(_('Reporting as'))}: {identity}\"\n"
    )
    found, refused = translatable(package)
    assert [item.text for item in found] == ["Reporting as"] and not refused


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
