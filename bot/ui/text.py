"""HTML helpers: user text is always escaped before it is sent back."""

from __future__ import annotations

from aiogram.utils.text_decorations import html_decoration


def quote(text: str | None) -> str:
    return html_decoration.quote(text or "")


def bold(text: str) -> str:
    """Bold for text we wrote (translations), which may already hold entities."""
    return f"<b>{text}</b>"


def code(text: str) -> str:
    return f"<code>{quote(text)}</code>"


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


TELEGRAM_TEXT_LIMIT = 4096


def split_for_telegram(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Split on line boundaries so no message is over Telegram's limit (and no HTML tag,
    which never spans lines here, is cut)."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current:
        parts.append(current)
    return parts
