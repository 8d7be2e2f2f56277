"""Every translatable string in the bot's source, whatever the syntax around it.

Babel's extractor reads tokens, and an f-string is one token to it: `f"{_('Reporting as')}"`
was never extracted, so the Indonesian summary said "Reporting as". This walks the syntax
tree instead, where a call inside an f-string is a call like any other."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

KEYWORDS = ("_", "__")


@dataclass(frozen=True)
class Found:
    text: str
    where: str  # path:line


def source_files(root: Path) -> list[Path]:
    return sorted(path for path in root.rglob("*.py") if "__pycache__" not in path.parts)


def translatable(root: Path) -> tuple[list[Found], list[str]]:
    """The strings passed to _() and __() under `root`, and the places where something
    other than a plain string literal is passed (an f-string, a variable, a concatenation
    at run time), which no catalogue can hold."""
    found: list[Found] = []
    refused: list[str] = []
    for path in source_files(root):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in KEYWORDS
            ):
                continue
            where = f"{path.relative_to(root.parent)}:{node.lineno}"
            argument = node.args[0] if node.args else None
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                found.append(Found(argument.value, where))
            else:
                refused.append(where)
    return found, refused
