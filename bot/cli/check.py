"""`lapor-netral check`: is this deployment ready? One line per part, each saying where it
looked, so an operator sees at once which of .env, the database, Redis, the evidence store
or Telegram is wrong. Exit status 0 when every part is ready, 1 otherwise."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.cli.startup import (
    StartupError,
    environment_file,
    require_evidence_store,
    require_extras,
    require_token,
    require_webhook_secret,
    require_writable_database,
    require_writable_evidence,
    telegram_refusal,
)
from bot.config import Settings
from bot.logs import describe_error

Check = Callable[[Settings], Awaitable[str]]


def check(settings: Settings) -> int:
    results = asyncio.run(_run_all(settings))
    width = max(len(name) for name, _ok, _said in results)
    for name, ok, said in results:
        print(f"{'ok  ' if ok else 'FAIL'}  {name.ljust(width)}  {said}")
    return 0 if all(ok for _name, ok, _said in results) else 1


async def _run_all(settings: Settings) -> list[tuple[str, bool, str]]:
    checks: list[tuple[str, Check]] = [
        ("configuration", _configuration),
        ("database", _database),
        ("redis", _redis),
        ("evidence store", _evidence),
        ("telegram", _telegram),
    ]
    results = []
    for name, run in checks:
        try:
            results.append((name, True, await asyncio.wait_for(run(settings), 20)))
        except StartupError as error:
            results.append((name, False, str(error)))
        except Exception as error:  # reported, not raised: this is a check
            results.append((name, False, describe_error(error)))
    return results


async def _configuration(settings: Settings) -> str:
    require_extras(settings)
    # Not the port: while the bot runs, the port is taken by the bot itself.
    require_webhook_secret(settings)
    found = environment_file()
    source = f".env read from {found}" if found else f"no .env in {Path.cwd()}"
    receives = f"webhook at {settings.webhook_url}" if settings.webhook_url else "polling"
    return f"{source}; default language {settings.default_locale}; {receives}"


async def _database(settings: Settings) -> str:
    require_writable_database(settings)
    from alembic.script import ScriptDirectory

    from storage.db import create_engine
    from storage.migrate import alembic_config

    shown = make_url(settings.database_url).render_as_string(hide_password=True)
    scripts = ScriptDirectory.from_config(alembic_config(settings.database_url))
    newest = scripts.get_current_head()
    known = {script.revision for script in scripts.walk_revisions()}
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            try:
                current = (
                    await connection.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar()
            except Exception:
                current = None
    finally:
        await engine.dispose()
    if current is not None and current not in known:
        raise StartupError(
            f"{shown}: schema {current}, which this version does not know (its newest is "
            f"{newest}): a newer version has upgraded it. Run that version, or restore the "
            "backup taken before the upgrade."
        )
    if current == newest:
        schema = f"schema {current}, the newest"
    else:
        schema = f"schema {current or 'empty'}; `run` migrates it to {newest}"
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        # Three slashes make a path relative to the current directory, four an absolute one:
        # say which file that is (getcwd, nothing that could block the loop).
        file = os.path.abspath(url.database or "")  # noqa: ASYNC240
        shown = f"{shown} (the file {file})"
    return f"{shown}: {schema}"


async def _redis(settings: Settings) -> str:
    if not settings.redis_url:
        return "not used (REDIS_URL unset: state kept by this one process)"
    from redis.asyncio import Redis

    client = Redis.from_url(settings.redis_url)
    try:
        await client.ping()
    finally:
        await client.aclose()
    return f"{make_url(settings.redis_url).render_as_string(hide_password=True)}: answers"


async def _evidence(settings: Settings) -> str:
    if not settings.evidence_url:
        require_writable_evidence(settings)
        return f"{settings.evidence_dir.absolute()}: writable"
    await require_evidence_store(settings)
    return f"{settings.evidence_url}: reachable, the bucket usable"


async def _telegram(settings: Settings) -> str:
    require_token(settings)
    from aiogram.exceptions import ClientDecodeError, TelegramNotFound, TelegramUnauthorizedError

    from bot.telegram.client import create_bot

    bot = create_bot(settings)
    try:
        me = await bot.get_me()
    except (TelegramUnauthorizedError, TelegramNotFound) as error:
        raise telegram_refusal(error, settings.telegram_api_url) or error from None
    except ClientDecodeError:
        raise StartupError(
            f"{settings.telegram_api_url} answered, but not as a Bot API server does (not "
            "JSON): check TELEGRAM_API_URL"
        ) from None
    finally:
        await bot.session.close()
    staff_chat = f"; staff group {settings.staff_chat_id}" if settings.staff_chat_id else ""
    return f"@{me.username} at {settings.telegram_api_url}{staff_chat}"
