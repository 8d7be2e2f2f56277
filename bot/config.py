"""Runtime settings, read from the environment and `.env` (names fixed by docs/runtime.md)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from bot.services.export import PART_LIMIT
from bot.services.register import DEFAULT_FORMAT as DEFAULT_REGISTER_FORMAT
from bot.services.register import BadRegisterFormat, check_format

SUPPORTED_LOCALES = ("id", "en")

# The bot runs on asyncio: SQLAlchemy needs the async driver named in the URL, and would
# otherwise fail deep in the first connection with a traceback about a missing greenlet
# or module.
DATABASE_FORMS = (
    "sqlite+aiosqlite:///path/to/lapor.db or postgresql+asyncpg://user:password@host/database"
)
_CODE_PREFIX = re.compile(r"[A-Za-z0-9]{1,20}")
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")
_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",  # Heroku's and others' spelling, which SQLAlchemy refuses
}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///data/lapor.db"
    redis_url: str | None = None
    evidence_dir: Path = Path("data/evidence")
    # s3://bucket/prefix: evidence in S3-compatible storage instead of EVIDENCE_DIR.
    evidence_url: str | None = None
    s3_endpoint_url: str | None = None
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    staff_chat_id: int | None = None
    default_locale: str = "id"
    webhook_url: str | None = None
    webhook_secret: str = ""
    port: int = 8080

    code_prefix: str = "ASN"
    # A conversation untouched this long is dropped, and the reporter told so.
    conversation_timeout_seconds: int = Field(default=24 * 3600, ge=1)
    # How often the expiry sweep runs; tests shorten it.
    conversation_sweep_seconds: float = Field(default=300.0, gt=0)
    # The procedure's periods are the law's (services/deadlines.py); the follow-up of a
    # recommendation has none in law: this is the office's own.
    follow_up_deadline_days: int = Field(default=30, ge=1)
    # Register numbers (services/register.py): fields number, kind (LP/TM), election
    # (PL/PP/PB), level (RI/Prov/Kab/Kota), region, month (Roman), year.
    register_number_format: str = DEFAULT_REGISTER_FORMAT
    # How often reports whose completion period ran out are marked not registered.
    completion_sweep_seconds: float = Field(default=300.0, gt=0)
    # Hour of the daily overdue reminder in each office's group, in the office's own time
    # zone (bot/jobs/reminders.py).
    overdue_reminder_hour: int = Field(default=8, ge=0, le=23)
    # How often cases filed while no staff chat was set are given their card.
    card_sync_seconds: float = Field(default=60.0, gt=0)
    # At 0 a reporter could attach nothing while the flow still asked for evidence.
    max_evidence_items: int = Field(default=10, ge=1)
    # An account sending more updates than this within the window is ignored until it slows
    # down: far above a person's pace (an album is 10 photos), far below a script's.
    flood_updates: int = Field(default=30, ge=1)
    flood_window_seconds: float = Field(default=10.0, gt=0)
    # /export cuts its file into parts of at most this many bytes: Telegram refuses a bot's
    # document over 50 MB, and an XLSX part's size is an estimate until it is written.
    export_part_bytes: int = Field(default=PART_LIMIT, ge=64 * 1024, le=PART_LIMIT)
    # Reporter chat ids and identities of closed cases are erased after this many days.
    retention_days: int = Field(default=365, ge=1)
    # The public site (`python -m bot web`, bot/web): how long its figures are kept before
    # they are counted again, and whether it sits behind a reverse proxy whose
    # X-Forwarded-For names the client (the status look-up's limit is per client).
    web_cache_seconds: float = Field(default=60.0, ge=0)
    web_trust_forwarded_for: bool = False
    # An export too large for one Telegram document goes to an admin as a signed link that
    # expires (services/download_links.py), served by the public site at PUBLIC_URL from
    # EXPORT_DIR, which the bot and the site must share; without both settings it arrives
    # in numbered parts instead.
    public_url: str | None = None
    download_link_secret: str = Field(default="", repr=False)
    export_dir: Path = Path("data/exports")

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in value.replace(" ", "").split(",") if part)
        return value

    @field_validator("register_number_format")
    @classmethod
    def _usable_format(cls, value: str) -> str:
        try:
            check_format(value)
        except BadRegisterFormat as error:
            raise ValueError(
                "REGISTER_NUMBER_FORMAT must use {number} and only the fields number, kind, "
                f"election, level, region, month, year ({error})"
            ) from error
        return value

    @field_validator("default_locale")
    @classmethod
    def _known_locale(cls, value: str) -> str:
        if value not in SUPPORTED_LOCALES:
            raise ValueError(f"DEFAULT_LOCALE must be one of {', '.join(SUPPORTED_LOCALES)}")
        return value

    @field_validator("download_link_secret")
    @classmethod
    def _long_enough(cls, value: str) -> str:
        # Anyone who knows it can sign a link to any export: as strong as a key must be.
        if value and len(value) < 32:
            raise ValueError(
                "DOWNLOAD_LINK_SECRET must be at least 32 characters; make one with "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    @field_validator("database_url")
    @classmethod
    def _async_database(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"DATABASE_URL must be {DATABASE_FORMS}") from None
        if url.drivername in _ASYNC_DRIVERS.values():
            return _usable_database(url, value)
        wanted = _ASYNC_DRIVERS.get(url.get_backend_name())
        # Not rewritten silently: the operator's URL stays the one the database sees.
        instead = f": write {wanted}:// in place of {url.drivername}://" if wanted else ""
        raise ValueError(f"DATABASE_URL must be {DATABASE_FORMS}{instead}")

    @field_validator("telegram_api_url")
    @classmethod
    def _bot_api_address(cls, value: str) -> str:
        # Anything else would be retried as if the network were down, forever.
        if not _is_address(value, "http", "https", needs_host=True):
            raise ValueError(
                "TELEGRAM_API_URL must be a Bot API server's address, such as "
                "http://localhost:8081 for a local one: correct it, or remove it to use "
                "https://api.telegram.org"
            )
        return value

    @field_validator("code_prefix")
    @classmethod
    def _code_prefix(cls, value: str) -> str:
        # A code is looked up with its separators taken out (services/codes.py): a prefix
        # holding one would make every code it issued unfindable.
        if not _CODE_PREFIX.fullmatch(value):
            raise ValueError(
                "CODE_PREFIX must be 1 to 20 letters or digits, such as ASN or BWSJABAR"
            )
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: str) -> str:
        # Telegram's own rule for secret_token; it refuses anything else at setWebhook.
        if value and not _WEBHOOK_SECRET.fullmatch(value):
            raise ValueError(
                "WEBHOOK_SECRET may hold only letters, digits, _ and - (1 to 256 of them, "
                "Telegram's rule); make one with "
                "python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return value

    @model_validator(mode="after")
    def _webhook_address(self) -> Self:
        if self.webhook_url is None:
            return self
        if not _is_address(self.webhook_url, "https", "http", needs_host=True):
            raise ValueError("WEBHOOK_URL must look like https://bot.example.org/telegram")
        # Telegram calls only HTTPS webhooks; a Bot API server of one's own calls HTTP too.
        official = urlsplit(self.telegram_api_url).hostname == "api.telegram.org"
        if official and urlsplit(self.webhook_url).scheme != "https":
            raise ValueError(
                "WEBHOOK_URL must be an https:// address: Telegram calls no other webhook"
            )
        return self

    # The shapes redis-py and the S3 store take, checked with the settings: their own checks
    # fail later, as a traceback, and the log withholds a ValueError's message.
    @field_validator("redis_url")
    @classmethod
    def _redis_address(cls, value: str | None) -> str | None:
        if value is not None and not _is_address(value, "redis", "rediss", "unix"):
            raise ValueError(
                "REDIS_URL must look like redis://host:6379/0 (rediss:// for TLS, "
                "unix:///path/to/redis.sock for a socket)"
            )
        return value

    @field_validator("evidence_url")
    @classmethod
    def _bucket_address(cls, value: str | None) -> str | None:
        if value is not None and not _is_address(value, "s3", needs_host=True):
            raise ValueError("EVIDENCE_URL must look like s3://bucket/prefix")
        return value

    @field_validator(
        "redis_url",
        "webhook_url",
        "staff_chat_id",
        "evidence_url",
        "s3_endpoint_url",
        "public_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value


def _is_address(url: str, *schemes: str, needs_host: bool = False) -> bool:
    try:
        parts = urlsplit(url)
        _ = parts.port  # a port that is not a number raises ValueError
    except ValueError:
        return False
    return parts.scheme in schemes and (bool(parts.netloc) or not needs_host)


def _usable_database(url: URL, value: str) -> str:
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        # The migration runs in a process of its own, and each connection would have a
        # database of its own: nothing would be kept.
        raise ValueError(
            "DATABASE_URL must name a file, such as sqlite+aiosqlite:///data/lapor.db: a "
            "database in memory keeps nothing"
        )
    if "sslmode" in url.query:
        # libpq's name, which managed PostgreSQL hosts print; asyncpg calls it ssl and
        # fails deep in the first connection on the other.
        raise ValueError(
            "DATABASE_URL: write ssl= in place of sslmode= (for example ?ssl=require): the "
            "asyncpg driver knows only that name"
        )
    return value
