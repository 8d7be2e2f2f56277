"""The process's entry point (`lapor-netral`, `python -m bot`): the command line (bot/cli),
with Ctrl-C during start-up ending it quietly.

Kept free of heavy imports: the command line's own (SQLAlchemy, the table models, aiogram)
take seconds, and an operator who presses Ctrl-C meanwhile, or while the database is
migrated, should get their prompt back, not a traceback."""

from __future__ import annotations

import signal
from types import FrameType

# The shell's convention for a command that SIGINT ended.
INTERRUPTED = 130

_interrupted = False


def _interrupt(_signal_number: int, _frame: FrameType | None) -> None:
    global _interrupted
    _interrupted = True
    raise KeyboardInterrupt


def main() -> int:
    # Remembered as well as raised: pydantic-core, building aiogram's types, turns an
    # interrupt that lands inside it into a SchemaError.
    signal.signal(signal.SIGINT, _interrupt)
    try:
        from bot.cli import main as command_line

        return command_line()
    except BaseException:  # KeyboardInterrupt, or what a library made of it
        if _interrupted:
            return INTERRUPTED
        raise
