"""The bot's real logging configuration (bot/logs), writing into memory for a test.

`configure_logging` changes process-wide things (the root handler, warnings, exception
hooks); everything it touches is put back afterwards, so the next test runs under pytest's
own capture again."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import sys
import threading
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

from bot.logs import configure_logging

# Loggers whose level or handlers configure_logging may set.
_LIBRARY_LOGGERS = (
    "aiogram",
    "aiogram.event",
    "alembic.runtime.plugins",
    "asyncio",
    "sqlalchemy",
    "aiohttp",
    "py.warnings",
)


@contextlib.contextmanager
def bot_logs(level: int = logging.INFO) -> Iterator[io.StringIO]:
    """Everything logged while inside, as `python -m bot` would write it to stderr."""
    root = logging.getLogger()
    saved_root = (root.handlers[:], root.level)
    saved_loggers = {
        name: (logger.handlers[:], logger.level, logger.propagate)
        for name in _LIBRARY_LOGGERS
        for logger in [logging.getLogger(name)]
    }
    saved_hooks = (sys.excepthook, threading.excepthook, sys.unraisablehook)
    saved_showwarning = warnings.showwarning
    saved_raise = logging.raiseExceptions
    stream = io.StringIO()
    # The handler takes the stream that is standard error when it is made.
    with contextlib.redirect_stderr(stream):
        configure_logging(level)
    try:
        yield stream
    finally:
        logging.captureWarnings(False)
        warnings.showwarning = saved_showwarning
        sys.excepthook, threading.excepthook, sys.unraisablehook = saved_hooks
        logging.raiseExceptions = saved_raise
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in saved_root[0]:
            root.addHandler(handler)
        root.setLevel(saved_root[1])
        for name, (handlers, logger_level, propagate) in saved_loggers.items():
            logger = logging.getLogger(name)
            logger.handlers[:] = handlers
            logger.setLevel(logger_level)
            logger.propagate = propagate


def json_lines(output: str) -> list[dict[str, Any]]:
    """Every line parsed; fails the test on a line that is not one JSON object."""
    entries = []
    for line in output.splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            raise AssertionError(f"a log line that is not JSON: {line[:300]!r}") from None
        assert isinstance(entry, dict), line
        entries.append(entry)
    return entries


def assert_none_of(output: str, secrets: Iterable[str]) -> None:
    """None of `secrets` appears in `output`, in any letter case, nor JSON-escaped."""
    lowered = output.lower()
    for secret in secrets:
        for spelling in {secret, json.dumps(secret)[1:-1]}:
            at = lowered.find(spelling.lower())
            assert at < 0, f"{secret!r} leaked: …{output[max(0, at - 200) : at + 200]}…"
