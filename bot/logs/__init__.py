"""The operator's log: one JSON object per line on standard error, with nothing in it that
tells who reported whom.

Assume whoever reads the log is hunting for a reporter. No line may carry a reporter's
name, phone, username, chat or user id, or what they wrote, whatever failed. No single
rule can promise that, so the defence is layered, each layer catching what the one
before misses:

1. Data is not put into messages: statements hide their parameters (storage/db.py); our
   own lines carry case codes and row ids as fields, never chat ids or text.
2. Exceptions are rendered by structure, not by `str()`: the types known to quote their
   data (SQLAlchemy, asyncpg, pydantic, aiogram, KeyError/ValueError) show where and what
   failed without the data (errors.py); messages keep only their first line.
3. While an update is handled, its own personal strings (sender's names and username,
   text, caption, a shared contact's phone, ids) are redacted from every string of every
   line, so even an exception nobody foresaw cannot echo them (current_update.py).
4. Last, five or more digits go from every string: chat ids, user ids and phone numbers
   in any spelling (scrubbing.py). Numeric fields of our own (update_id, outbox_id) are
   numbers, not strings, and stay for tracing, as do case codes.

And nothing goes around the formatter: warnings, uncaught exceptions and the libraries'
loggers are routed through it (setup.py).

What it cannot promise: words from an *earlier* message (a stored draft's description, a
name typed three steps ago) that an exception of a type nobody foresaw quotes on the first
line of its message. Only layer 4 reaches those, and it takes only their numbers."""

from bot.logs.errors import describe_error
from bot.logs.json_lines import JsonFormatter
from bot.logs.setup import configure_logging

__all__ = ["JsonFormatter", "configure_logging", "describe_error"]
