"""The personal strings of the update being handled, kept out of every log line written
while it is handled, whatever wrote it.

Exceptions we know are rendered without their data (bot/logs/errors.py), and numbers are
scrubbed everywhere (bot/logs/scrubbing.py), but an exception nobody foresaw can still
quote what the sender typed: a KeyError on their answer, a library quoting its input. So
the entry points (bot/polling.py, bot/webhook.py) wrap the handling of each update in
`handling(raw)`, and while it lasts every string the formatter writes has the sender's
and chat's names and username, the message's text and caption, a shared contact's phone
and name, a file's name and the ids removed.

Set at the entry points, not in a dispatcher middleware: aiogram's own ErrorsMiddleware
is the outermost, so the 'update failed' line of the errors router, and the polling
loop's own line after the dispatcher returns, would be written outside a middleware's
reach. The raw JSON is what both entry points hold before parsing, so an update aiogram
cannot parse, or whose type it does not know, is covered too.

The strings are collected only when a line is actually written during the update (most
updates write none); the raw dict is walked whole, so a new kind of update that follows
Telegram's field names is covered without a change here. Whole values, their lines, and
the words of names are redacted, in the spellings a log could show them (as is, JSON- or
repr-escaped, HTML-escaped), ignoring case. Not every word of a free text: the same words
are the vocabulary of the log lines themselves. Strings under three characters are left:
redacting "Al" everywhere would garble the lines without hiding anyone."""

from __future__ import annotations

import contextlib
import functools
import html
import json
import re
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from re._casefix import _EXTRA_CASES  # the table re.IGNORECASE itself uses
from typing import Any

REDACTED = "[redacted]"

# Telegram's fields that hold what a person wrote or who they are.
_NAMES = frozenset({"first_name", "last_name", "username"})
_TEXTS = frozenset(
    {
        "text",
        "caption",
        "phone_number",
        "vcard",
        "file_name",
        "address",
        "query",
        "question",
        "email",
        "bio",
        "chat_instance",
    }
)
_IDS = frozenset({"id", "user_id", "chat_id"})
_SHORTEST = 3


# What re.IGNORECASE takes for the same letter (re/_compiler.py): two characters match if
# their simple lowercase is the same, or if the lowercase forms are listed together in
# re._casefix (dotless ı and i, long ſ and s, final ς and σ, …). `_fold` maps both to one
# form, so "the folded spelling is in the folded line" holds whenever the pattern would
# match: a spelling that fails that test can be left out of the pattern. The dotted capital
# İ is mapped first, as the one letter whose lowercase str.lower() writes in two characters.
_SAME_LETTER = str.maketrans(
    {lower: chr(min(lower, *others)) for lower, others in _EXTRA_CASES.items()}
)
_DOTTED_CAPITAL_I = str.maketrans({"\u0130": "i"})


def _fold(text: str) -> str:
    if text.isascii():
        return text.lower()  # both tables map ASCII letters to themselves
    return text.translate(_DOTTED_CAPITAL_I).lower().translate(_SAME_LETTER)


class _Update:
    def __init__(self, raw: Mapping[str, Any]) -> None:
        self._raw = raw

    @functools.cached_property
    def spellings(self) -> list[tuple[str, str]]:
        """Each spelling of the update's personal strings with its folded form."""
        return [
            (spelling, _fold(spelling))
            for spelling in {
                spelling
                for value in _personal_values(self._raw)
                for spelling in _spellings(value)
                if len(spelling) >= _SHORTEST
            }
        ]

    def pattern_for(self, text: str) -> re.Pattern[str] | None:
        """The alternation of this update's spellings that occur in `text`, if any do.

        Compiling one alternation of every spelling took a fifth of the bot's time under
        load: a submission's update carries the whole summary, each line spelled five ways,
        and most log lines contain none of them."""
        folded = _fold(text)
        found = [
            spelling for spelling, folded_spelling in self.spellings if folded_spelling in folded
        ]
        if not found:
            return None
        alternatives = sorted(found, key=len, reverse=True)  # longest first
        return re.compile("|".join(map(re.escape, alternatives)), re.IGNORECASE)


_current: ContextVar[_Update | None] = ContextVar("current_update", default=None)


@contextlib.contextmanager
def handling(raw: Mapping[str, Any]) -> Iterator[None]:
    """Log lines written inside leave out the personal strings of this update (as JSON)."""
    token = _current.set(_Update(raw))
    try:
        yield
    finally:
        _current.reset(token)


def redact(text: str) -> str:
    """`text` without the personal strings of the update being handled, if any."""
    current = _current.get()
    pattern = current.pattern_for(text) if current is not None else None
    return text if pattern is None else pattern.sub(REDACTED, text)


def _personal_values(raw: Mapping[str, Any]) -> Iterator[str]:
    stack: list[Any] = [raw]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
            continue
        if not isinstance(node, Mapping) or node.get("is_bot") is True:
            continue  # a bot (this one, in its own messages) is no one to protect
        for key, value in node.items():
            if isinstance(value, str) and key in _NAMES:
                yield value
                yield from value.split()
            elif isinstance(value, str) and key in _TEXTS:
                yield value
                yield from value.splitlines()
            elif isinstance(value, int) and not isinstance(value, bool) and key in _IDS:
                yield str(value)
            elif isinstance(value, Mapping | list):
                stack.append(value)


def _spellings(value: str) -> set[str]:
    value = value.strip()
    return {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        repr(value)[1:-1],
        html.escape(value),
    }
