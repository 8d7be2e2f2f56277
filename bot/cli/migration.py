"""Migrating the database before the bot starts, in a child process.

Alembic (with Mako and Pygments, which it pulls in) added 8 MB to the bot's resident size
and is needed for a second at start-up; run in the bot's own process it would stay for the
bot's whole life (bench/memory.py). A child process takes it away with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

# The directory holding `bot` and `storage`: the child must import this same code, wherever
# the parent was started from.
_ROOT = Path(__file__).resolve().parents[2]


class Migration:
    """Bringing the database to the newest schema in a child process. Started before the
    bot's own (slow) imports, so the two overlap; `wait()` before touching the database."""

    def __init__(self, database_url: str) -> None:
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(
            filter(None, (str(_ROOT), environment.get("PYTHONPATH")))
        )
        # The child ignores SIGINT from its start (an ignored signal stays ignored across
        # exec, and Python then installs no KeyboardInterrupt): the terminal's Ctrl-C reaches
        # the whole group, and the child's traceback would follow the parent's quiet stop.
        # The parent stops it (`wait`, `abandon`); the group's other signals still reach it.
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            self._child = subprocess.Popen(
                [sys.executable, "-m", "bot.cli.migration"], stdin=subprocess.PIPE, env=environment
            )
        finally:
            signal.signal(signal.SIGINT, previous)
        # Through standard input: on the command line anyone could read the URL's password
        # in the process list.
        assert self._child.stdin is not None
        with self._child.stdin as stdin:
            stdin.write(database_url.encode())

    def wait(self) -> int:
        """The child's exit status, 0 when the schema is current. Its log lines and any
        error went to this process's standard error."""
        try:
            return self._child.wait()
        # Ctrl-C: no migration left running unattended. Migrations are transactional
        # (storage/migrations/env.py), so the database stays at a whole revision.
        except BaseException:
            self.abandon()
            raise

    def abandon(self) -> None:
        """Stop the child (the parent is going away) and wait for it to go."""
        self._child.kill()
        self._child.wait()


def _main() -> int:
    from alembic.util.exc import CommandError
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import DBAPIError

    from bot.logs import configure_logging
    from storage.migrate import upgrade_to_head

    configure_logging()
    url = sys.stdin.buffer.read().decode()
    shown = make_url(url).render_as_string(hide_password=True)
    try:
        upgrade_to_head(url)
    except CommandError as error:
        # Alembic's way of saying the database's revision is none of ours: a newer version
        # migrated it (this one was rolled back, or runs beside a newer instance).
        print(
            f"The database at {shown} cannot be migrated by this version of Lapor Netral "
            f"({_first_line(error)}): a newer version has upgraded it. Run that version, or "
            "restore the backup taken before the upgrade.",
            file=sys.stderr,
        )
        return 2
    except (DBAPIError, OSError) as error:
        # The operator's first minutes: one line saying what and where, not a traceback.
        cause = getattr(error, "orig", None) or error
        reason = _first_line(cause)
        print(
            f"The database at {shown} cannot be reached or written ({reason}). Check "
            "DATABASE_URL, that the server is running, and that this user may write there.",
            file=sys.stderr,
        )
        return 2
    return 0


def _first_line(error: BaseException) -> str:
    said = str(error).strip()
    return said.splitlines()[0] if said else type(error).__name__


if __name__ == "__main__":
    sys.exit(_main())
