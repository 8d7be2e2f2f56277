"""Exceptions as the log shows them: type, stack frames, and only the part of the message
that describes the failure rather than the data that failed.

Python's own traceback prints `str(exception)`, and for the exceptions this bot meets that
text is often the data itself:

- SQLAlchemy's StatementError/DBAPIError appends the statement's parameters (a draft with
  the reporter's name, phone and chat id); asyncpg's message adds a DETAIL line quoting the
  row (`Key (phone)=(+62…)`, `Failing row contains (…)`). Shown: the driver's error type,
  the first line of its message, and the SQL statement (placeholders, not values).
- pydantic's ValidationError quotes each `input_value`, for an update the whole update.
  Shown: where (loc) and what kind (type) of error, never the input.
- aiogram's TelegramAPIError words Telegram's answer around the request (a flood error
  names the chat); ClientDecodeError appends the whole response, which for getUpdates is
  the updates themselves. Shown: the method and the first line; never the content.
- KeyError and ValueError (LookupError, UnicodeError, JSONDecodeError…) are raised with
  the key or value that was wrong, which in a bot is what someone typed. Shown: the type.

Any other exception keeps the first line of its message: that line describes what failed
(AttributeError, TypeError, OSError, RuntimeError…), while the lines below are where the
drivers put the data (asyncpg's DETAIL is repeated in SQLAlchemy's adaptation of the
error, which is the driver error a DBAPIError wraps). The formatter still scrubs numbers
and the current update's strings from that line. Frames (file, line, function, source
line) are code and are kept whole.

Library types are recognised only once their module is loaded (sys.modules): an
exception of a library that was never imported cannot have been raised, and importing
aiogram here would weigh on the migration process, which logs too (bot/migration.py)."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable

_CAUSE = "The above exception was the direct cause of the following exception:"
_CONTEXT = "During handling of the above exception, another exception occurred:"
_WITHHELD = "(message withheld: it holds the data that failed)"
_LONGEST_MESSAGE = 500
_LONGEST_SQL = 300
_LONGEST_CHAIN = 8
_MOST_SUB_EXCEPTIONS = 5
_MOST_VALIDATION_ERRORS = 5


def describe_error(error: BaseException) -> str:
    """`Type: safe message` on one line, for a log field."""
    return _headline(error, message_of(error))


def render_error(error: BaseException, scrub: Callable[[str], str]) -> str:
    """A traceback like Python's, oldest exception first, each message safe and scrubbed."""
    return "\n".join(_render(error, scrub, depth=0))


def type_name(error: BaseException) -> str:
    kind = type(error)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def message_of(error: BaseException) -> str:
    try:
        for matches, render in _KNOWN:
            if matches(error):
                return render(error)
        return _clip(_first_line(str(error)), _LONGEST_MESSAGE)
    except Exception:  # a __str__ that raises: the type says what it can
        return "(message unavailable)"


def _headline(error: BaseException, message: str) -> str:
    return f"{type_name(error)}: {message}" if message else type_name(error)


def _render(error: BaseException, scrub: Callable[[str], str], depth: int) -> list[str]:
    lines: list[str] = []
    for link, note in _chain(error):
        if link.__traceback__ is not None:
            lines.append("Traceback (most recent call last):")
            frames = traceback.StackSummary.extract(traceback.walk_tb(link.__traceback__))
            lines.extend("".join(frames.format()).rstrip("\n").split("\n"))
        lines.append(_headline(link, scrub(message_of(link))))
        if isinstance(link, BaseExceptionGroup) and depth < 2:
            shown = link.exceptions[:_MOST_SUB_EXCEPTIONS]
            for number, sub in enumerate(shown, 1):
                lines.append(f"  +-- sub-exception {number} of {len(link.exceptions)}")
                lines.extend(f"  | {line}" for line in _render(sub, scrub, depth + 1))
        if note is not None:
            lines.extend(["", note, ""])
    return lines


def _chain(error: BaseException) -> list[tuple[BaseException, str | None]]:
    """Oldest first, each with the note that links it to the next, as Python prints them."""
    links: list[tuple[BaseException, str | None]] = []
    seen: set[int] = set()
    current: BaseException | None = error
    note: str | None = None
    while current is not None and id(current) not in seen and len(links) < _LONGEST_CHAIN:
        seen.add(id(current))
        links.append((current, note))
        if current.__cause__ is not None:
            current, note = current.__cause__, _CAUSE
        elif current.__context__ is not None and not current.__suppress_context__:
            current, note = current.__context__, _CONTEXT
        else:
            current = None
    # links[i]'s note says how links[i] leads to links[i - 1]; printed oldest first, the
    # note goes after the older exception.
    return list(reversed(links))


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0]


def _clip(text: str, longest: int) -> str:
    text = text.strip()
    return text if len(text) <= longest else f"{text[:longest]}… ({len(text)} characters)"


def _loaded(module: str, name: str) -> type[BaseException] | None:
    loaded = sys.modules.get(module)
    found = getattr(loaded, name, None) if loaded is not None else None
    return found if isinstance(found, type) else None


def _is(module: str, name: str) -> Callable[[BaseException], bool]:
    def matches(error: BaseException) -> bool:
        kind = _loaded(module, name)
        return kind is not None and isinstance(error, kind)

    return matches


def _statement_error(error: BaseException) -> str:
    # sqlalchemy.exc.StatementError, DBAPIError and its subclasses.
    original = getattr(error, "orig", None)
    cause = (
        f"({type_name(original)}) {_first_line(message_of(original))}"
        if isinstance(original, BaseException)
        else ""
    )
    statement = getattr(error, "statement", None)
    sql = f" [SQL: {_clip(' '.join(str(statement).split()), _LONGEST_SQL)}]" if statement else ""
    return f"{cause}{sql}".strip()


def _postgres_error(error: BaseException) -> str:
    # asyncpg's own errors: the message without DETAIL, HINT or the query position.
    state = getattr(error, "sqlstate", None)
    text = error.args[0] if error.args and isinstance(error.args[0], str) else ""
    return f"{_first_line(text)} (SQLSTATE {state})" if state else _first_line(text)


def _validation_error(error: BaseException) -> str:
    problems = [
        f"{'.'.join(map(str, problem['loc'])) or '(root)'} [{problem['type']}]"
        for problem in error.errors(include_input=False, include_url=False)  # type: ignore[attr-defined]
    ]
    shown = "; ".join(problems[:_MOST_VALIDATION_ERRORS])
    more = len(problems) - _MOST_VALIDATION_ERRORS
    title = getattr(error, "title", "")
    return f"{title}: {shown}" + (f"; and {more} more" if more > 0 else "")


def _telegram_error(error: BaseException) -> str:
    method = getattr(error, "method", None)
    name = type(method).__name__ if method is not None else "?"
    return f"{name}: {_first_line(str(getattr(error, 'message', '')))}"


def _decode_error(error: BaseException) -> str:
    original = getattr(error, "original", None)
    cause = f" (from {type_name(original)})" if isinstance(original, BaseException) else ""
    return f"{_first_line(str(getattr(error, 'message', '')))}{cause}"


def _withheld(_error: BaseException) -> str:
    return _WITHHELD


# Most specific first: pydantic's ValidationError is a ValueError, and so on.
_KNOWN: list[tuple[Callable[[BaseException], bool], Callable[[BaseException], str]]] = [
    (_is("sqlalchemy.exc", "StatementError"), _statement_error),
    (_is("asyncpg.exceptions", "PostgresError"), _postgres_error),
    (_is("pydantic_core", "ValidationError"), _validation_error),
    (_is("aiogram.exceptions", "TelegramAPIError"), _telegram_error),
    (_is("aiogram.exceptions", "ClientDecodeError"), _decode_error),
    (lambda error: isinstance(error, LookupError | ValueError), _withheld),
]
