"""Long HTML messages are cut where Telegram can still parse every part: never inside an
entity (`&amp;` cut in two) or a tag, with formatting closed and reopened across a cut."""

from __future__ import annotations

import html
import random
import re

import pytest

from bot.ui.text import split_for_telegram

TAG = re.compile(r"<(/?)(\w+)[^>]*>")


def balanced(part: str) -> bool:
    opened: list[str] = []
    for closing, name in TAG.findall(part):
        if not closing:
            opened.append(name)
        elif not opened or opened.pop() != name:
            return False
    return not opened


def visible(text: str) -> str:
    return "".join(html.unescape(TAG.sub("", text)).split())


@pytest.mark.parametrize("seed", range(40))
def test_every_part_parses_and_together_they_say_everything(seed: int) -> None:
    chance = random.Random(seed)
    words = ["Budi", "&amp;", "&lt;b&gt;", "PT", "A&amp;B", "&#8364;", "sekolah", "dinas"]
    lines = []
    for _ in range(chance.randrange(3, 30)):
        line = " ".join(chance.choice(words) for _ in range(chance.randrange(1, 400)))
        if chance.random() < 0.4:
            line = f"<b>{line}</b>"
        if chance.random() < 0.2:
            line = f'<a href="https://example.org/?a=1&amp;b=2">{line}</a>'
        lines.append(line)
    text = "\n".join(lines)
    limit = chance.randrange(60, 600)
    parts = split_for_telegram(text, limit)
    for part in parts:
        assert len(part) <= limit
        assert not re.search(r"&[#\w]*$", part), f"entity cut at the end: {part[-12:]!r}"
        assert not re.match(r"^[#\w]*;", TAG.sub("", part)), "entity cut at the start"
        assert "<" not in TAG.sub("", part), "a tag cut in two"
        assert balanced(part), part
        assert visible(part), "no empty message"
    assert "".join(visible(part) for part in parts) == visible(text)


def test_one_long_line_of_entities_is_cut_between_them() -> None:
    # The old splitter cut at exactly 4096 characters, inside "&amp;".
    text = "xx" + "&amp;" * 1000
    parts = split_for_telegram(text, 4096)
    assert all(part.endswith("&amp;") for part in parts[:-1])
    assert "".join(parts) == text
