"""What is checked before the bot starts, each failure a StartupError whose message says
what is wrong and what to do (bot/cli turns it into one line and exit status 2)."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import importlib.util
import os
import re
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.config import Settings

SCALE_EXTRA = "pip install 'lapor-netral[scale]'"
# The bot's number, a colon, then only what goes into a URL's path as it is.
_TOKEN_SHAPE = re.compile(r"[0-9]+:[A-Za-z0-9_-]+")
# Redis that has not answered a PING in this long is taken for absent (a firewall that drops
# packets, rather than refusing them, would otherwise hold the start indefinitely).
REDIS_ANSWER_SECONDS = 10.0
EVIDENCE_ANSWER_SECONDS = 10.0


class StartupError(Exception):
    """The bot cannot start; the message is for the operator."""


def require_token(settings: Settings) -> None:
    if not settings.bot_token:
        raise StartupError(
            "BOT_TOKEN is not set: create a bot with @BotFather in Telegram, then put "
            "BOT_TOKEN=<token> in .env (see .env.example)."
        )
    if not _shaped_like_a_token(settings.bot_token):
        raise StartupError(
            "BOT_TOKEN does not look like a token from @BotFather (digits, a colon, then "
            "letters, digits, - and _, e.g. 123456789:AAH...): check it in .env or the "
            "environment."
        )


def _shaped_like_a_token(token: str) -> bool:
    """The shape of @BotFather's tokens: stricter than aiogram's rule (validate_token, which
    Bot() applies later), which lets through any character but white space. A "/", "?" or
    "#" in the token changes the path of every request, and Telegram's 404 would then be
    blamed on TELEGRAM_API_URL. Checked here rather than by aiogram so that a bad start is
    told in a moment: importing aiogram builds its hundreds of pydantic types, 2-3 s on a
    small machine."""
    return _TOKEN_SHAPE.fullmatch(token) is not None


def require_extras(settings: Settings) -> None:
    """Scale-out needs packages the single-machine default does not install."""
    needs = []
    if settings.redis_url and not _installed("redis"):
        needs.append("REDIS_URL is set")
    if make_url(settings.database_url).get_backend_name() == "postgresql" and not _installed(
        "asyncpg"
    ):
        needs.append("DATABASE_URL is a PostgreSQL URL")
    if settings.evidence_url and not _installed("aiobotocore"):
        needs.append("EVIDENCE_URL is set")
    if needs:
        raise StartupError(f"{' and '.join(needs)}, which needs the scale-out extra: {SCALE_EXTRA}")


def require_writable(settings: Settings) -> None:
    """The SQLite file's directory and the evidence directory can be created and written."""
    require_writable_database(settings)
    require_writable_evidence(settings)


# Apart, so that `check` blames each directory on its own line.
def require_writable_database(settings: Settings) -> None:
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        database = Path(url.database).absolute()
        _writable(database.parent, "the database (DATABASE_URL)")
        # A file this user may read but not write: the bot would start, then fail every
        # report it is sent.
        if database.exists() and not os.access(database, os.W_OK):
            raise StartupError(
                f"Cannot write to the database file {database} (DATABASE_URL): give this "
                "user write permission on it, or run the bot as its owner."
            )


def require_writable_evidence(settings: Settings) -> None:
    if not settings.evidence_url:
        _writable(settings.evidence_dir, "evidence files (EVIDENCE_DIR)")


async def require_redis(url: str, then: str = "") -> None:
    """Redis at REDIS_URL answers. Nothing else finds out at start: the bot would come up
    and fail every update, the site every status look-up. `then` ends the line (what else
    the operator should know)."""
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(url, socket_connect_timeout=REDIS_ANSWER_SECONDS)
    try:
        await asyncio.wait_for(client.ping(), REDIS_ANSWER_SECONDS)
    except (RedisError, OSError, TimeoutError) as error:
        reason = str(error) or f"no answer in {REDIS_ANSWER_SECONDS:g} s"
        raise StartupError(
            f"Redis at REDIS_URL does not answer ({reason}): start it or correct REDIS_URL{then}."
        ) from None
    finally:
        await client.aclose()


def telegram_refusal(error: Exception, api_url: str) -> StartupError | None:
    """What a getMe failure that no wait can mend says to the operator (a refused token, an
    address that is no Bot API server); None for any other. Shared by `run` and `check`."""
    from aiogram.exceptions import TelegramNotFound, TelegramUnauthorizedError

    if isinstance(error, TelegramUnauthorizedError):
        return StartupError(
            "Telegram refused BOT_TOKEN (401 Unauthorized): it was mistyped or revoked. "
            "Copy the current token from @BotFather into .env."
        )
    if isinstance(error, TelegramNotFound):
        return StartupError(
            f"{api_url} is not a Telegram Bot API server (it answered 404 to getMe): "
            "check TELEGRAM_API_URL, or remove it to use api.telegram.org."
        )
    return None


async def require_evidence_store(settings: Settings) -> None:
    """The S3 bucket at EVIDENCE_URL can be used. Otherwise the bot would start and refuse
    every photo sent to it."""
    if not settings.evidence_url:
        return
    from storage.evidence_store import EvidenceStoreUnavailable, S3EvidenceStore

    store = S3EvidenceStore(settings.evidence_url, settings.s3_endpoint_url)
    try:
        async with asyncio.timeout(EVIDENCE_ANSWER_SECONDS):
            await store.open()
            await store.check()
    except (EvidenceStoreUnavailable, TimeoutError) as error:
        reason = str(error) or f"no answer in {EVIDENCE_ANSWER_SECONDS:g} s"
        raise StartupError(
            f"The evidence store at EVIDENCE_URL cannot be used ({reason}): check the bucket, "
            "S3_ENDPOINT_URL, and AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and "
            "AWS_DEFAULT_REGION in the environment (they are not read from .env)."
        ) from None
    finally:
        await store.close()


def require_webhook(settings: Settings) -> None:
    """With WEBHOOK_URL set the bot serves Telegram's calls on PORT: a missing secret or a
    port taken is told before the slow start (migrating, reaching Telegram), not after
    "bot started"; the server's own bind says the same should the port be taken between."""
    if not settings.webhook_url:
        return
    require_webhook_secret(settings)
    require_free_port(settings.port)


def require_webhook_secret(settings: Settings) -> None:
    if settings.webhook_url and not settings.webhook_secret:
        raise StartupError(
            "WEBHOOK_SECRET must be set when WEBHOOK_URL is: Telegram sends it with each "
            "update so that no one else can post updates to the bot. Make one with "
            "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'."
        )


def require_free_port(port: int, host: str = "0.0.0.0") -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise cannot_listen(port, error) from None


def cannot_listen(port: int, error: OSError) -> StartupError:
    """What to do when binding PORT failed with `error`."""
    if error.errno == errno.EADDRINUSE:
        return StartupError(
            f"Port {port} is already in use: stop what is listening there, or set PORT to a "
            "free one."
        )
    return StartupError(
        f"Cannot listen on port {port}: {error.strerror or error}. Set PORT to a port this "
        "user may open (above 1024)."
    )


ANOTHER_BOT = (
    "Another bot is already running on {path}: stop it first. One process serves a SQLite "
    "database; several instances need PostgreSQL and Redis (README, Scaling out)."
)


@contextlib.contextmanager
def sole_instance(settings: Settings, refusal: str = ANOTHER_BOT) -> Iterator[None]:
    """While the bot runs on a SQLite file without Redis, no second bot may run on it: the
    bot keeps that file's conversations in memory and hands back every outbox claim it
    finds at start, both right only for one process. A lock beside the file says so at
    once; the system drops it when the process ends, however it ends. `refusal` is the
    line given when the lock is held ({path}: the database file)."""
    from storage.db import sqlite_path  # the database layer, only once the bot is to run

    database = sqlite_path(settings.database_url)
    if settings.redis_url or database is None:
        yield
        return
    path = Path(database).absolute()
    with open(path.with_name(path.name + ".lock"), "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StartupError(refusal.format(path=path)) from None
        yield


def _writable(directory: Path, purpose: str) -> None:
    where = directory.absolute()
    try:
        where.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=where):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise StartupError(
            f"Cannot write to {where} for {purpose}: {reason}. Run from a directory you may "
            f"write to (data/ is made in the current directory, {Path.cwd()}), or point "
            "DATABASE_URL and EVIDENCE_DIR at one."
        ) from None


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a finder that knows the module is not there may say so this way
        return False


def environment_file() -> Path | None:
    """The .env the settings were read from, if any (it is looked for in the current
    directory)."""
    path = Path(os.getcwd()) / ".env"
    return path if path.is_file() else None
