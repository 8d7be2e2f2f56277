"""HTML helpers: user text is always escaped before it is sent back."""

from __future__ import annotations

import html
import re

from aiogram.utils.text_decorations import html_decoration

# Telegram shows at most this many characters in a button's alert.
ALERT_LIMIT = 200


def quote(text: str | None) -> str:
    return html_decoration.quote(text or "")


def bold(text: str) -> str:
    """Bold for text we wrote (translations), which may already hold entities."""
    return f"<b>{text}</b>"


def code(text: str) -> str:
    return f"<code>{quote(text)}</code>"


def plain_text(text: str) -> str:
    """HTML we wrote, as plain text (an alert shows tags as they are)."""
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


TELEGRAM_TEXT_LIMIT = 4096

# A tag, an entity, or one character of text: the units a message may be cut between.
_TOKEN = re.compile(r"<[^>]*>|&#?\w+;|[^<&]|[<&]", re.DOTALL)
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][\w-]*)")


def split_for_telegram(text: str, limit: int = TELEGRAM_TEXT_LIMIT) -> list[str]:
    """Cut HTML text into messages of at most `limit` characters, at a line break where
    one is near, else at a space, else between characters; never inside a tag or an
    entity (`&amp;` cut in two is refused by Telegram). Tags open at a cut are closed at
    the end of one part and opened again at the start of the next."""
    tokens = _TOKEN.findall(text)
    parts: list[str] = []
    start, carried = 0, []  # where the next part starts, and the tags open there
    while start < len(tokens):
        opened = list(carried)
        length = sum(map(len, carried))
        end = start
        line_break = space = None
        while end < len(tokens):
            after = _open_after(opened, tokens[end])
            if end > start and length + len(tokens[end]) + len(_closing(after)) > limit:
                break
            opened, length, end = after, length + len(tokens[end]), end + 1
            if tokens[end - 1] == "\n":
                line_break = (end, opened)
            elif tokens[end - 1] == " ":
                space = (end, opened)
        if end < len(tokens):
            end, opened = line_break or space or (end, opened)
        part = "".join(carried) + "".join(tokens[start:end]) + _closing(opened)
        if re.sub(r"<[^>]*>", "", part).strip():  # Telegram refuses a message with no text
            parts.append(part.rstrip("\n") if end < len(tokens) else part)
        start, carried = end, opened
    return parts


def _open_after(opened: list[str], token: str) -> list[str]:
    """The tags open after `token`, each as its opening text."""
    if not token.startswith("<") or len(token) < 3:
        return opened
    match = _TAG_NAME.match(token)
    if match is None:
        return opened
    if token.startswith("</"):
        name = match.group(1).lower()
        for index in range(len(opened) - 1, -1, -1):
            if _name(opened[index]) == name:
                return opened[:index] + opened[index + 1 :]
        return opened
    return [*opened, token]


def _name(opening: str) -> str:
    match = _TAG_NAME.match(opening)
    return match.group(1).lower() if match else ""


def _closing(opened: list[str]) -> str:
    return "".join(f"</{_name(tag)}>" for tag in reversed(opened))
