"""Everything the process would print to standard error goes through the JSON formatter.

Left to themselves, Python and the libraries write around the logging configuration:
warnings (aiogram's "Detected unknown update type" with the whole update in it) go
straight to stderr; an uncaught exception, one in a thread, or one Python can only ignore
(in a __del__, a finaliser) prints its traceback with its full text; and the logging
module itself, when a record fails to format or write, prints the record with its
arguments. Here warnings are routed into logging (logger "py.warnings"), the three
exception hooks log instead of printing, and the logging module's own error report is
turned off (the formatter never raises; a failed write to stderr has nowhere to go).

aiogram, SQLAlchemy, asyncio (whose loop handler logs "Task exception was never
retrieved"), aiohttp and alembic log through standard loggers; they are made to
propagate to the root logger's one handler, without handlers of their own."""

from __future__ import annotations

import logging
import sys
import threading
from types import TracebackType
from typing import Any

from bot.logs.json_lines import JsonFormatter

_LIBRARIES = ("aiogram", "sqlalchemy", "asyncio", "aiohttp", "alembic", "py.warnings")

log = logging.getLogger("bot")


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.raiseExceptions = False
    logging.captureWarnings(True)
    for name in _LIBRARIES:
        library = logging.getLogger(name)
        for own in library.handlers[:]:
            library.removeHandler(own)
        library.propagate = True
    # One line per update ("Update id=… is handled") is noise at this scale.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    # Alembic announces each of its plugins; only the migrations it runs are worth a line.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    sys.excepthook = _uncaught
    threading.excepthook = _uncaught_in_thread
    sys.unraisablehook = _unraisable


def _uncaught(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
    log.critical("uncaught exception", exc_info=(kind, error, trace))


def _uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return  # as Python's own hook: a thread's way of ending
    log.critical(
        "uncaught exception in a thread",
        exc_info=(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback),
        extra={"in_thread": args.thread.name if args.thread is not None else None},
    )


def _unraisable(unraisable: Any) -> None:
    # Not the object itself: its repr could be anything (a model with a reporter in it).
    error = unraisable.exc_value
    log.error(
        unraisable.err_msg or "exception ignored",
        exc_info=(unraisable.exc_type, error, unraisable.exc_traceback) if error else None,
    )
