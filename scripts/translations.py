"""Keep the catalogues in step with the code.

    python scripts/translations.py update   # extract strings, merge into id and en
    python scripts/translations.py check    # list missing or fuzzy entries (exit 1 if any)

English source strings are their own English translation, so `update` fills the en
catalogue itself; Indonesian entries are written by a person in locales/id/."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
TEMPLATE = LOCALES / "messages.pot"


def catalogue_path(locale: str) -> Path:
    return LOCALES / locale / "LC_MESSAGES" / "messages.po"


def update() -> None:
    def pybabel(*args: str) -> None:
        subprocess.run(
            [sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT
        )

    pybabel(
        "extract",
        "-F",
        "babel.cfg",
        "-k",
        "__",
        "--no-location",
        "--omit-header",
        "--sort-output",
        "-o",
        str(TEMPLATE),
        "bot",
    )
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
