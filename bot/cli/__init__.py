"""The command line: `lapor-netral` (or `python -m bot`) with its subcommands.

A bad start (no or malformed token, a token Telegram refuses, a directory that cannot be
written, a missing optional extra, a database that cannot be reached) ends in one line that
says what to do and exit status 2, never a traceback: the operator's first five minutes
decide whether they keep going."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from bot.cli.startup import StartupError
from bot.config import Settings
from bot.logs import configure_logging

COMMANDS = {
    "run": "start the bot: migrate the database, then poll Telegram (or serve the webhook "
    "when WEBHOOK_URL is set); the default",
    "purge": "erase now what ties cases closed more than RETENTION_DAYS ago to their "
    "reporters (the bot does it by itself every day at 03:00 WIB), and remove exports whose "
    "download links have expired",
    "web": "serve the public site on PORT: the figures, a status look-up by code and the "
    "Open311 open data API, from the database the bot writes (no token needed)",
    "check": "check the configuration and reach the database, Redis, the evidence store and "
    "Telegram, one line each",
    "playground": "try the bot without Telegram: no token, no network; a web chat at "
    "http://127.0.0.1:PORT where you are a citizen and the staff (data in data/playground/, "
    "emptied at each start)",
}


def parser() -> argparse.ArgumentParser:
    described = argparse.ArgumentParser(
        prog="lapor-netral",
        description="Lapor Netral: a Telegram bot for reporting breaches of civil-servant "
        "neutrality. Configuration comes from the environment and from .env in the current "
        "directory; data/ is created there too unless DATABASE_URL and EVIDENCE_DIR say "
        "otherwise.",
    )
    commands = described.add_subparsers(dest="command", metavar="COMMAND")
    for name, summary in COMMANDS.items():
        commands.add_parser(name, help=summary, description=summary)
    return described


def _problem(location: tuple[int | str, ...], message: str) -> str:
    """One setting's problem. Our validators' messages are whole sentences that name the
    setting; pydantic words them "Value error, <message>"."""
    setting = ".".join(map(str, location)).upper()
    message = message.removeprefix("Value error, ")
    return message if message.startswith(setting) else f"{setting}: {message}"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    command = arguments.command or "run"
    configure_logging()
    try:
        settings = Settings()
    except ValidationError as error:
        problems = "; ".join(_problem(e["loc"], e["msg"]) for e in error.errors())
        print(f"Configuration error: {problems}", file=sys.stderr)
        return 2
    try:
        if command == "check":
            from bot.cli.check import check

            return check(settings)
        if command == "web":
            from bot.cli.web import web_site

            return web_site(settings)
        if command == "purge":
            from bot.cli.purge import purge

            return purge(settings)
        if command == "playground":
            from bot.cli.playground import playground

            return playground(settings)
        from bot.cli.run import run

        return run(settings)
    except StartupError as error:
        print(str(error), file=sys.stderr)
        return 2
