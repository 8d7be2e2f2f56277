"""One JSON object per log line, and nothing in it that the layers of bot/logs keep out.

What a record carries and what becomes of it:

- the message: arguments that are exceptions are described safely (errors.py), models
  (an aiogram Update, say) become their type's name; only the first line is kept, because
  the libraries put what they were processing on the lines below: aiogram's unknown
  update warning appends the whole update, asyncio's "Task exception was never retrieved"
  the task's repr with its exception's text, aiogram's "Cause exception while process
  update" the exception's text;
- extras: numbers and booleans kept as they are (update_id, outbox_id: our own fields);
  strings scrubbed; exceptions described; lists and dicts walked;
- exc_info: rendered by errors.render_error;
- every string above, last of all: the current update's personal strings redacted
  (current_update.py), then long numbers and the bot token (scrubbing.py).

A record that cannot be formatted still gives a JSON line, without its content: the
logging module's fallback would print the record and its arguments to stderr."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Mapping
from typing import Any

from bot.logs.current_update import redact
from bot.logs.errors import describe_error, render_error
from bot.logs.scrubbing import scrub_numbers

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
_DEEPEST = 4


def scrub(text: str) -> str:
    """Every string that reaches the log goes through here."""
    return scrub_numbers(redact(text))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        try:
            return self._format(record)
        except Exception as error:
            return json.dumps(
                {
                    "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
                    "level": record.levelname.lower(),
                    "logger": record.name,
                    "message": "log record could not be formatted",
                    "error": type(error).__name__,
                }
            )

    def _format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": scrub(_message(record)),
        }
        entry |= {
            key: _field(value, 0) for key, value in record.__dict__.items() if key not in _STANDARD
        }
        if record.exc_info and record.exc_info[1] is not None:
            entry["error"] = render_error(record.exc_info[1], scrub)
        if record.stack_info:
            entry["stack"] = record.stack_info  # code: where the line was logged from
        return json.dumps(entry, ensure_ascii=False)


def _message(record: logging.LogRecord) -> str:
    text = _argument(record.msg)
    if not isinstance(text, str):
        text = str(text)
    args = record.args
    if args:
        safe: Any = (
            {key: _argument(value) for key, value in args.items()}
            if isinstance(args, Mapping)
            else tuple(_argument(value) for value in args)
        )
        # Wrong arguments for the format: the format alone says what happened.
        with contextlib.suppress(TypeError, ValueError, KeyError):
            text = text % safe
    return text.strip().split("\n", 1)[0]


def _argument(value: Any) -> Any:
    if isinstance(value, BaseException):
        return describe_error(value)
    if _is_model(value):
        return f"<{type(value).__name__}>"
    return value


def _is_model(value: Any) -> bool:
    # pydantic models (aiogram's types): their repr is every field, the sender's included.
    return hasattr(type(value), "model_fields") and hasattr(value, "model_dump")


def _field(value: Any, depth: int) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, BaseException):
        return scrub(describe_error(value))
    if depth < _DEEPEST and isinstance(value, Mapping):
        return {scrub(str(key)): _field(item, depth + 1) for key, item in value.items()}
    if depth < _DEEPEST and isinstance(value, list | tuple | set | frozenset):
        return [_field(item, depth + 1) for item in value]
    return scrub(str(_argument(value)))
