"""The process's entry point (`lapor-netral`, `python -m bot`): the command line (bot/cli),
with Ctrl-C during start-up ending it quietly.

Kept free of imports at module level: the command line's own imports (SQLAlchemy, the table
models) take a second or more, and an operator who presses Ctrl-C meanwhile, or while the
database is migrated, should get their prompt back, not a traceback."""

from __future__ import annotations

# The shell's convention for a command that SIGINT ended.
INTERRUPTED = 130


def main() -> int:
    try:
        from bot.cli import main as command_line

        return command_line()
    except KeyboardInterrupt:
        return INTERRUPTED
