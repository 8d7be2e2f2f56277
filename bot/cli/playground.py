"""`lapor-netral playground`: the bot against a built-in stand-in for Telegram, with a web
chat at http://127.0.0.1:PORT to try it as a citizen and as staff. No token, no network.

Each start begins afresh: the bot remembers which updates it handled (by update_id) and
which messages it sent, while the stand-in starts from nothing, so an old database would
ignore new updates and edit messages the stand-in never saw."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
from pathlib import Path

from bot.cli.signals import until_signalled
from bot.cli.startup import StartupError, require_writable
from bot.config import Settings
from bot.listening import CannotListen
from bot.playground.cast import DATA_DIR, playground_settings
from bot.playground.serve import HOST, serve_playground


def playground(settings: Settings, data_dir: Path = DATA_DIR) -> int:
    prepared = playground_settings(settings, f"http://{HOST}", data_dir)
    _require_free_port(settings.port)
    _start_afresh(data_dir)
    require_writable(prepared)
    from bot.cli.migration import Migration

    if status := Migration(prepared.database_url).wait():
        return status
    try:
        with contextlib.suppress(KeyboardInterrupt, asyncio.CancelledError):
            asyncio.run(until_signalled(serve_playground(settings, data_dir)))
    except CannotListen as refused:
        raise StartupError(port_in_use(refused.port, refused.error)) from None
    return 0


def port_in_use(port: int, error: OSError) -> str:
    return (
        f"Cannot listen on {HOST}:{port}: {error.strerror or error}. Another program may be "
        "using the port: set PORT to a free one, e.g. PORT=8081 python -m bot playground."
    )


def _require_free_port(port: int) -> None:
    """Before the slow start (migrating, importing the bot), so a port in use is told at
    once; the server's own bind says the same should the port be taken in between."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError as error:
            raise StartupError(port_in_use(port, error)) from None


def _start_afresh(data_dir: Path) -> None:
    """Remove only what the playground itself made there: its database and evidence."""
    try:
        for name in ("lapor.db", "lapor.db-wal", "lapor.db-shm", "lapor.db-journal"):
            (data_dir / name).unlink(missing_ok=True)
        shutil.rmtree(data_dir / "evidence", ignore_errors=True)
    except OSError as error:
        raise StartupError(
            f"Cannot clear the playground's data in {data_dir.absolute()}: "
            f"{error.strerror or error}. Run from a directory you may write to."
        ) from None
