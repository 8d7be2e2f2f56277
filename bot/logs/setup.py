"""The process's logging: the JSON formatter on standard error."""

from __future__ import annotations

import logging
import sys

from bot.logs.json_lines import JsonFormatter


def configure_logging(level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    # One line per update ("Update id=… is handled") is noise at this scale.
    logging.getLogger("aiogram.event").setLevel(logging.WARNING)
    # Alembic announces each of its plugins; only the migrations it runs are worth a line.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
