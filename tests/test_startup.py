"""`python -m bot` (`lapor-netral`) as an operator runs it, first minutes included: every bad
start ends in one line saying what to do, and exit status 2."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.fakebot import FakeTelegram, FakeUser
from tests.helpers.processes import sqlite_locked

# Processes started, or real time waited out: left out of an everyday run (-m "not slow").
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent


def run_bot(
    tmp_path: Path, *arguments: str, timeout: float = 60, **environment: str
) -> subprocess.CompletedProcess[str]:
    """The bot as a process, from an empty directory, with `environment` on top of ours."""
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "TELEGRAM_API_URL")}
    env |= {"PYTHONPATH": str(ROOT), **environment}
    return subprocess.run(
        [sys.executable, "-m", "bot", *arguments],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def one_clear_line(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.strip().splitlines() if not line.startswith("{")]
    assert len(lines) == 1, result.stderr
    for words in expected:
        assert words in lines[0], lines[0]
    return lines[0]


def test_missing_token_is_one_clear_line_and_exit_code_2(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    environment["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        cwd=tmp_path,  # no .env here
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "BOT_TOKEN" in lines[0] and "@BotFather" in lines[0]
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "data").exists(), "nothing is created before the token is checked"


def test_purge_erases_reporters_of_long_closed_cases_and_keeps_the_cases(tmp_path: Path) -> None:
    import asyncio
    from datetime import date, timedelta

    from sqlmodel import select

    from bot.services.intake import IntakeService, ReportDraft
    from bot.services.offices import OfficeDirectory
    from bot.services.staff_feed import StaffFeed
    from storage.db import create_engine, create_session_factory
    from storage.migrate import upgrade_to_head
    from storage.models import Case, Reporter, utcnow

    url = f"sqlite+aiosqlite:///{tmp_path / 'lapor.db'}"
    upgrade_to_head(url)
    address = "Jl. Gatot Subroto 1, Denpasar"

    async def seed() -> None:
        engine = create_engine(url)
        sessions = create_session_factory(engine)
        intake = IntakeService(
            sessions, staff_feed=StaffFeed(OfficeDirectory(sessions, None), "id")
        )
        for name, status, age_days in (
            ("Lama", "closed", 400),
            ("Baru", "closed", 10),
            ("Terbuka", "initial_review", 400),
        ):
            draft = ReportDraft(
                identity="identified",
                reporter_name=f"Pelapor {name}",
                reporter_phone="+62811",
                reporter_address=address,
                asn_name=f"ASN {name}",
                agency="Dinas Sosial",
                province="Bali",
                category="other",
                incident_date=date(2025, 1, 1),
                description="Membagikan sembako bergambar calon kepada warga.",
                place="Denpasar",
            )
            case, _new = await intake.submit(
                draft, code=intake.new_code(), chat_id=1000 + age_days, locale="id"
            )
            async with sessions() as session:
                stored = await session.get(Case, case.id)
                stored.status = status
                stored.status_changed_at = utcnow() - timedelta(days=age_days)
                session.add(stored)
                await session.commit()
        await engine.dispose()

    async def remaining() -> list[tuple[str, int | None, str | None, str | None, str | None]]:
        engine = create_engine(url)
        async with create_session_factory(engine)() as session:
            rows = (
                await session.exec(
                    select(
                        Case.asn_name,
                        Reporter.chat_id,
                        Reporter.name,
                        Reporter.phone,
                        Reporter.address,
                    )
                    .join(Reporter, Reporter.id == Case.reporter_id)
                    .order_by(Case.id)
                )
            ).all()
        await engine.dispose()
        return [tuple(row) for row in rows]

    asyncio.run(seed())
    environment = {k: v for k, v in os.environ.items() if k != "BOT_TOKEN"}
    environment |= {"PYTHONPATH": str(ROOT), "DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "purge"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "1 reporter" in result.stdout
    assert asyncio.run(remaining()) == [
        ("ASN Lama", None, None, None, None),  # the case stays; who reported it is gone
        ("ASN Baru", 1010, "Pelapor Baru", "+62811", address),
        ("ASN Terbuka", 1400, "Pelapor Terbuka", "+62811", address),
    ]


def test_purge_with_redis_unreachable_is_one_clear_line_and_erases_nothing(
    tmp_path: Path,
) -> None:
    # With several instances conversations live in Redis, and purge erases there too.
    url = f"sqlite+aiosqlite:///{tmp_path / 'lapor.db'}"
    result = run_bot(tmp_path, "purge", DATABASE_URL=url, REDIS_URL="redis://127.0.0.1:1/0")
    one_clear_line(result, "REDIS_URL", "Nothing was erased")


def test_help_lists_the_subcommands(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "--help")
    assert result.returncode == 0
    for command in ("run", "purge", "check"):
        assert command in result.stdout
    assert ".env" in result.stdout, "where configuration is read from"


def test_a_malformed_token_is_one_clear_line(tmp_path: Path) -> None:
    result = run_bot(tmp_path, BOT_TOKEN="my-bot-token")
    one_clear_line(result, "BOT_TOKEN", "@BotFather")


async def test_a_token_telegram_refuses_is_one_clear_line(tmp_path: Path) -> None:
    telegram = FakeTelegram()
    await telegram.start()
    telegram.refused_token = "123456:REVOKED"
    try:
        result = await asyncio.to_thread(
            run_bot, tmp_path, BOT_TOKEN="123456:REVOKED", TELEGRAM_API_URL=telegram.url
        )
    finally:
        await telegram.stop()
    one_clear_line(result, "refused", "@BotFather")


def test_an_unwritable_data_directory_is_one_clear_line(tmp_path: Path) -> None:
    # A file where a directory should be: refused even to root, who may write anywhere.
    (tmp_path / "taken").write_text("not a directory")
    result = run_bot(
        tmp_path,
        BOT_TOKEN="123456:TEST-TOKEN",
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'taken' / 'lapor.db'}",
    )
    one_clear_line(result, "Cannot write to", "DATABASE_URL")
    result = run_bot(
        tmp_path, BOT_TOKEN="123456:TEST-TOKEN", EVIDENCE_DIR=str(tmp_path / "taken" / "ev")
    )
    one_clear_line(result, "Cannot write to", "EVIDENCE_DIR")


def test_a_missing_extra_is_named(tmp_path: Path) -> None:
    # A Python without redis-py, as after `pip install lapor-netral` without [scale].
    blocker = tmp_path / "site"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(
        "import sys\n"
        "class _Missing:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'redis' or name.startswith('redis.'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, _Missing())\n"
    )
    result = run_bot(
        tmp_path,
        BOT_TOKEN="123456:TEST-TOKEN",
        REDIS_URL="redis://127.0.0.1:1/0",
        PYTHONPATH=f"{blocker}{os.pathsep}{ROOT}",
    )
    one_clear_line(result, "REDIS_URL", "pip install 'lapor-netral[scale]'")


async def test_no_network_at_start_is_retried_and_said(tmp_path: Path) -> None:
    """Telegram unreachable when the bot starts: it says so, waits longer each time, and
    carries on by itself once Telegram answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "REDIS_URL")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": "123456:TEST-TOKEN",
        "TELEGRAM_API_URL": f"http://127.0.0.1:{port}",
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'lapor.db'}",
    }
    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env, stderr=log
        )
    telegram = FakeTelegram()
    try:
        retries: list[dict] = []
        for _ in range(300):
            lines = [json.loads(line) for line in log_path.read_text().splitlines() if line]
            retries = [line for line in lines if "not reachable" in line["message"]]
            if len(retries) >= 2:
                break
            await asyncio.sleep(0.1)
        assert len(retries) >= 2, log_path.read_text()
        assert retries[1]["retry_in"] > retries[0]["retry_in"], "backing off"
        assert process.returncode is None, "still trying, not exited"
        await telegram.start(port=port)
        user = FakeUser(telegram, user_id=5_550_009, first_name="Warga")
        await user.send("/start")
        welcome = await user.next(timeout=30)
        assert "Lapor Netral" in welcome["text"]
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
        await telegram.stop()
    assert "Traceback" not in log_path.read_text()


def _children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()] if children.exists() else []


@pytest.mark.parametrize("moment", ["importing", "migrating"])
async def test_ctrl_c_during_start_up_ends_quietly(tmp_path: Path, moment: str) -> None:
    """Ctrl-C while the bot is still starting (the terminal signals the whole foreground
    group): no traceback, exit status 130, and no migration left running on its own."""
    database = tmp_path / "lapor.db"
    database_url = f"sqlite+aiosqlite:///{database}"
    sqlite3.connect(database).close()
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "REDIS_URL")}
    env |= {
        "PYTHONPATH": str(ROOT),
        "BOT_TOKEN": "123456:TEST-TOKEN",
        "TELEGRAM_API_URL": "http://127.0.0.1:9",
        "DATABASE_URL": database_url,
    }
    # The migration waits for the file's lock (up to the busy timeout): Ctrl-C lands in it.
    locked = sqlite_locked(database_url, 6) if moment == "migrating" else contextlib.nullcontext()
    async with locked:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            cwd=tmp_path,
            env=env,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # a group of its own, as a terminal gives a command
        )
        migration: list[int] = []
        if moment == "migrating":
            for _ in range(200):
                if migration := _children(process.pid):
                    break
                await asyncio.sleep(0.05)
            assert migration, "the migration child started"
            await asyncio.sleep(0.5)
        else:
            await asyncio.sleep(1.0)  # past the interpreter's own start, into our imports
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    output = stderr.decode()
    assert process.returncode == 130, output
    assert "Traceback" not in output
    assert "uncaught" not in output
    for child in migration:
        with pytest.raises(ProcessLookupError):
            os.kill(child, 0)


async def test_a_second_bot_on_the_same_sqlite_file_is_one_clear_line(tmp_path: Path) -> None:
    """One process serves a SQLite file (it keeps conversations in memory, and takes back
    every outbox claim at start): a second bot, or a purge, started on it is refused, not
    let run."""
    telegram = FakeTelegram()
    await telegram.start()
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "REDIS_URL")}
    env |= {"PYTHONPATH": str(ROOT), "BOT_TOKEN": "123456:TEST-TOKEN"}
    env |= {"TELEGRAM_API_URL": telegram.url}
    log_path = tmp_path / "bot.log"
    with log_path.open("wb") as log:
        first = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=tmp_path, env=env, stderr=log
        )
    try:
        for _ in range(600):
            if "bot polling" in log_path.read_text() or first.returncode is not None:
                break
            await asyncio.sleep(0.1)
        assert "bot polling" in log_path.read_text(), log_path.read_text()
        second = await asyncio.to_thread(
            run_bot, tmp_path, BOT_TOKEN="123456:TEST-TOKEN", TELEGRAM_API_URL=telegram.url
        )
        one_clear_line(second, "Another bot is already running", "PostgreSQL and Redis")
        # A purge from another process could not reach the conversations the bot keeps
        # in memory: it is refused too, and says the bot purges by itself.
        purge = await asyncio.to_thread(run_bot, tmp_path, "purge")
        one_clear_line(purge, "purges by itself every day", "Nothing was erased")
        assert first.returncode is None, "the first carries on"
    finally:
        first.terminate()
        await asyncio.wait_for(first.wait(), 30)
        await telegram.stop()


@pytest.mark.parametrize(
    ("command", "url", "advice"),
    [
        # One command each: the settings are read, and refused, before any command runs.
        ("run", "garbage", ""),
        ("web", "postgres://u:p@h/db", "write postgresql+asyncpg:// in place of postgres://"),
        ("purge", "postgresql://u:p@h/db", "write postgresql+asyncpg:// in place of postgresql://"),
        ("check", "sqlite:///data/x.db", "write sqlite+aiosqlite:// in place of sqlite://"),
    ],
)
def test_a_database_url_without_an_async_driver_is_one_clear_line(
    tmp_path: Path, command: str, url: str, advice: str
) -> None:
    # Heroku and most guides write postgres://; the bot needs the async driver named.
    result = run_bot(tmp_path, command, BOT_TOKEN="123456:TEST-TOKEN", DATABASE_URL=url)
    line = one_clear_line(result, "DATABASE_URL", "sqlite+aiosqlite:///", "postgresql+asyncpg://")
    assert advice in line
    assert "u:p@" not in line, "the password stays out of the line"
    assert not (tmp_path / "data").exists(), "nothing is made before the URL is understood"


@pytest.mark.parametrize(
    ("setting", "value", "shape"),
    [("REDIS_URL", "notaurl", "redis://host:6379/0"), ("EVIDENCE_URL", "nots3", "s3://bucket")],
)
def test_a_service_address_of_the_wrong_shape_is_one_clear_line(
    tmp_path: Path, setting: str, value: str, shape: str
) -> None:
    result = run_bot(tmp_path, BOT_TOKEN="123456:TEST-TOKEN", **{setting: value})
    one_clear_line(result, setting, shape)


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        # A code is looked up without separators: this prefix's codes could never be found.
        ({"CODE_PREFIX": "BWS-JB"}, "CODE_PREFIX must be 1 to 20 letters or digits"),
        # What `openssl rand -base64` makes; Telegram refuses it at setWebhook.
        (
            {"WEBHOOK_URL": "https://bot.example.org/hook", "WEBHOOK_SECRET": "q8Zr+/aB9x=="},
            "WEBHOOK_SECRET may hold only letters, digits, _ and -",
        ),
        (
            {"WEBHOOK_URL": "http://bot.example.org/hook", "WEBHOOK_SECRET": "s3cret"},
            "WEBHOOK_URL must be an https:// address",
        ),
        # Each process, and each connection, would have a database of its own.
        ({"DATABASE_URL": "sqlite+aiosqlite://"}, "DATABASE_URL must name a file"),
        # How managed PostgreSQL hosts print it; asyncpg fails on it in the first connection.
        (
            {"DATABASE_URL": "postgresql+asyncpg://u:p@db.example.org/lapor?sslmode=require"},
            "write ssl= in place of sslmode=",
        ),
    ],
)
def test_a_setting_that_would_fail_later_is_one_clear_line_at_start(
    tmp_path: Path, settings: dict[str, str], said: str
) -> None:
    for command in ("run", "check"):
        result = run_bot(tmp_path, command, BOT_TOKEN="123456:TEST-TOKEN", **settings)
        one_clear_line(result, said)
    assert not (tmp_path / "data").exists(), "refused before anything is made"


def test_a_database_a_newer_version_migrated_is_one_clear_line(tmp_path: Path) -> None:
    """Rolled back to an older version (or run beside a newer instance), the bot finds a
    schema it does not know: one line, and `check` fails on it instead of promising to
    migrate it."""
    database = tmp_path / "lapor.db"
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute("INSERT INTO alembic_version VALUES ('9999')")
    newer = {"DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    result = run_bot(tmp_path, BOT_TOKEN="123456:TEST-TOKEN", **newer)
    one_clear_line(result, "cannot be migrated by this version", "a newer version has upgraded it")
    checked = run_bot(tmp_path, "check", BOT_TOKEN="123456:TEST-TOKEN", **newer)
    assert checked.returncode == 1, checked.stdout
    lines = {line.split()[1]: line for line in checked.stdout.splitlines()}
    assert lines["database"].startswith("FAIL"), checked.stdout
    assert "schema 9999, which this version does not know" in lines["database"]


def test_a_database_file_this_user_cannot_write_is_refused(tmp_path: Path) -> None:
    """Its directory writable, the file itself not: the bot would start, then fail every
    report. Checked in a forked child that drops root's rights, which ignore permissions."""
    from bot.cli.startup import StartupError, require_writable_database
    from bot.config import Settings

    directory = Path(tempfile.mkdtemp(prefix="lapor-readonly-"))
    try:
        directory.chmod(0o777)
        database = directory / "lapor.db"
        sqlite3.connect(database).close()
        database.chmod(0o444)
        url = f"sqlite+aiosqlite:///{database}"
        settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
        reading, writing = os.pipe()
        child = os.fork()
        if child == 0:  # the child: answers through the pipe, then leaves at once
            said = b"crashed"
            try:
                if os.geteuid() == 0:
                    os.setgid(65534)
                    os.setuid(65534)  # nobody
                require_writable_database(settings)
                said = b"accepted"
            except StartupError as error:
                said = str(error).encode()
            finally:
                os.write(writing, said)
                os._exit(0)
        os.close(writing)
        os.waitpid(child, 0)
        with os.fdopen(reading, "rb") as answer:
            said = answer.read().decode()
    finally:
        shutil.rmtree(directory)
    assert f"Cannot write to the database file {database}" in said, said


def test_a_number_out_of_its_range_is_one_clear_line(tmp_path: Path) -> None:
    result = run_bot(tmp_path, BOT_TOKEN="123456:TEST-TOKEN", MAX_EVIDENCE_ITEMS="0")
    one_clear_line(result, "MAX_EVIDENCE_ITEMS", "greater than or equal to 1")


def test_redis_unreachable_at_start_is_one_clear_line(tmp_path: Path) -> None:
    # Started anyway, the bot would fail every update and the site every status look-up.
    for command in ("run", "web"):
        result = run_bot(
            tmp_path, command, BOT_TOKEN="123456:TEST-TOKEN", REDIS_URL="redis://127.0.0.1:1/11"
        )
        one_clear_line(result, "Redis at REDIS_URL does not answer", "start it or correct")


async def test_webhook_mode_with_its_port_taken_or_no_secret_is_one_clear_line(
    tmp_path: Path,
) -> None:
    telegram = FakeTelegram()
    await telegram.start()
    webhook = {"BOT_TOKEN": "123456:TEST-TOKEN", "TELEGRAM_API_URL": telegram.url}
    webhook |= {"WEBHOOK_URL": "https://bot.example.org/hook"}
    try:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = str(taken.getsockname()[1])
            in_use = await asyncio.to_thread(
                run_bot, tmp_path, WEBHOOK_SECRET="s3cret", PORT=port, **webhook
            )
        no_secret = await asyncio.to_thread(run_bot, tmp_path, PORT=port, **webhook)
    finally:
        await telegram.stop()
    one_clear_line(in_use, f"Port {port} is already in use", "set PORT to a free one")
    assert "bot started" not in in_use.stderr, "refused before it says it started"
    one_clear_line(no_secret, "WEBHOOK_SECRET must be set", "secrets.token_urlsafe")


def test_a_telegram_api_url_that_is_no_address_is_one_clear_line(tmp_path: Path) -> None:
    # It used to be retried forever, as if the network were down.
    result = run_bot(tmp_path, BOT_TOKEN="123456:TEST-TOKEN", TELEGRAM_API_URL="notaurl")
    one_clear_line(result, "TELEGRAM_API_URL", "api.telegram.org")


async def test_a_telegram_api_url_that_answers_html_is_said_not_a_traceback(
    tmp_path: Path,
) -> None:
    """TELEGRAM_API_URL pointing at a web site (or a proxy's error page in front of a Bot
    API server): `check` names it; the bot says so and tries again, as when the network is
    down, rather than dying with a traceback."""
    from aiohttp import web

    async def page(_request: web.Request) -> web.Response:
        return web.Response(status=404, text="<html>Not Found</html>", content_type="text/html")

    application = web.Application()
    application.router.add_route("*", "/{tail:.*}", page)
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    web_site = {"BOT_TOKEN": "123456:TEST-TOKEN", "TELEGRAM_API_URL": f"http://127.0.0.1:{port}"}
    env = {k: v for k, v in os.environ.items() if k not in ("BOT_TOKEN", "REDIS_URL")}
    env |= {"PYTHONPATH": str(ROOT), **web_site}
    log_path = tmp_path / "bot.log"
    try:
        checked = await asyncio.to_thread(run_bot, tmp_path, "check", **web_site)
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=tmp_path, env=env, stderr=log
            )
        try:
            for _ in range(300):
                if "not as a Bot API server does" in log_path.read_text():
                    break
                await asyncio.sleep(0.1)
            assert process.returncode is None, log_path.read_text()
        finally:
            process.terminate()
            await asyncio.wait_for(process.wait(), 30)
    finally:
        await runner.cleanup()
    lines = {line.split()[1]: line for line in checked.stdout.splitlines()}
    assert lines["telegram"].startswith("FAIL"), checked.stdout
    assert "not as a Bot API server does" in lines["telegram"]
    said = log_path.read_text()
    assert "TELEGRAM_API_URL answered, but not as a Bot API server does" in said, said
    assert "Traceback" not in said


async def test_the_token_stays_out_of_the_start_up_retry_line() -> None:
    """aiohttp quotes the address it could not use, token and all; a short token's secret
    half slipped past the log's token pattern."""
    import io
    import logging

    from aiogram.exceptions import TelegramNetworkError
    from aiogram.methods import GetMe
    from aiogram.types import User

    from bot.cli.run import reach_telegram
    from bot.logs import JsonFormatter

    class UnusableAddressOnce:
        token = "123456:SHORT-SECRET"
        calls = 0

        async def get_me(self) -> User:
            self.calls += 1
            if self.calls == 1:
                # As aiogram's session words aiohttp's InvalidUrlClientError.
                raise TelegramNetworkError(
                    GetMe(), f"InvalidUrlClientError: notaurl/bot{self.token}/getMe"
                )
            return User(id=123456, is_bot=True, first_name="Lapor Netral")

    written = io.StringIO()
    handler = logging.StreamHandler(written)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("bot")
    logger.addHandler(handler)
    try:
        await reach_telegram(UnusableAddressOnce(), "notaurl")  # type: ignore[arg-type]
    finally:
        logger.removeHandler(handler)
    assert "not reachable at start" in written.getvalue()
    assert "SHORT-SECRET" not in written.getvalue()


def test_check_blames_the_unwritable_directory_on_its_own_line(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("not a directory")
    result = run_bot(
        tmp_path, "check", DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'taken' / 'lapor.db'}"
    )
    assert result.returncode == 1, result.stderr
    lines = {line.split()[1]: line for line in result.stdout.splitlines()}
    assert lines["database"].startswith("FAIL"), result.stdout
    assert "DATABASE_URL" in lines["database"]
    assert lines["evidence"].startswith("ok"), result.stdout


@pytest.mark.parametrize(
    ("token", "shaped"),
    [
        ("123456:AAH-abc_def", True),
        ("123456:x", True),
        ("123456:", False),
        (":AAH", False),
        ("abc:AAH", False),
        ("123456AAH", False),
        ("123456:AA H", False),
        (" 123456:AAH", False),
        ("123456:AAH\n", False),
        # aiogram lets these through; in a request's path they would turn Telegram's answer
        # into a 404 blamed on TELEGRAM_API_URL.
        ("123456:AAH/xyz", False),
        ("123456:AAH?x=1", False),
        ("123:456:789", False),
        ("١٢٣:AAH", False),  # Arabic-Indic digits: str.isdigit() is true for them
    ],
)
def test_the_start_up_token_check_is_no_looser_than_aiogram(token: str, shaped: bool) -> None:
    """require_token checks the token before aiogram is imported, so that a bad one is told
    at once; a token it let through and Bot() refused would end in a traceback."""
    from aiogram.utils.token import TokenValidationError, validate_token

    from bot.cli.startup import StartupError, require_token
    from bot.config import Settings

    try:
        require_token(Settings(bot_token=token, _env_file=None))  # type: ignore[call-arg]
        we_accept = True
    except StartupError:
        we_accept = False
    assert we_accept == shaped
    if we_accept:
        try:
            validate_token(token)
        except TokenValidationError:
            pytest.fail("aiogram refuses a token the start-up check lets through")
