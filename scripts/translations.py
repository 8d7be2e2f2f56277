"""Keep the catalogues in step with the code.

    python scripts/translations.py update   # extract strings, merge into id and en
    python scripts/translations.py check    # list missing or fuzzy entries (exit 1 if any)

English source strings are their own English translation, so `update` fills the en
catalogue itself; Indonesian entries are written by a person in bot/locales/id/."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: scripts/ itself is what Python put first

from scripts.translatable import translatable  # noqa: E402

PLACEHOLDER = re.compile(r"\{\w*\}")
LOCALES = ROOT / "bot" / "locales"
TEMPLATE = LOCALES / "messages.pot"


def catalogue_path(locale: str) -> Path:
    return LOCALES / locale / "LC_MESSAGES" / "messages.po"


def write_template() -> None:
    """The template (.pot) from the syntax tree, so a string inside an f-string is in it."""
    found, refused = translatable(ROOT / "bot")
    if refused:
        raise SystemExit(
            "_() must be given a plain string literal (format it afterwards): " + ", ".join(refused)
        )
    catalog = Catalog()
    for text in sorted({item.text for item in found}):
        catalog.add(text, flags=("python-brace-format",) if PLACEHOLDER.search(text) else ())
    with TEMPLATE.open("wb") as handle:
        write_po(handle, catalog, omit_header=True, sort_output=True, width=76)


def update() -> None:
    def pybabel(*args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT
        )

    write_template()
    for locale in ("id", "en"):
        command = "update" if catalogue_path(locale).exists() else "init"
        pybabel(
            command,
            "-i",
            str(TEMPLATE),
            "-d",
            str(LOCALES),
            "-D",
            "messages",
            "-l",
            locale,
            *(["--no-fuzzy-matching", "--ignore-obsolete"] if command == "update" else []),
        )
    english = catalogue_path("en")
    with english.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    for message in catalog:
        if message.id and not message.string:
            message.string = message.id
    with english.open("wb") as handle:
        write_po(handle, catalog, omit_header=False, width=100)


def problems(locale: str) -> list[str]:
    with catalogue_path(locale).open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    found = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            found.append(f"{locale}: fuzzy: {message.id!r}")
        elif not all(strings):
            found.append(f"{locale}: missing: {message.id!r}")
    return found


if __name__ == "__main__":
    if sys.argv[1:] == ["update"]:
        update()
    elif sys.argv[1:] == ["check"]:
        issues = [line for locale in ("id", "en") for line in problems(locale)]
        print("\n".join(issues) or "catalogues complete")
        sys.exit(1 if issues else 0)
    else:
        print(__doc__)
        sys.exit(2)
