"""Files reporters send, fetched from Telegram: getFile, then the download, each retried
when the failure passes (the Bot API client retries getFile; the download is retried here).

The download is read as a stream and abandoned past MAX_DOWNLOAD_BYTES, whatever size
getFile claimed: the bot never holds more of a file than it would accept."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest

from bot.logs import describe_error
from bot.services.evidence import MAX_DOWNLOAD_BYTES, EvidenceRejected, check_declared_size

log = logging.getLogger(__name__)

_DOWNLOAD_RETRY_DELAYS = (0.5, 1.5)


async def download_evidence(bot: Bot, file_id: str, declared_size: int | None) -> bytes:
    """The file's bytes, or EvidenceRejected ("too_large", "download_failed")."""
    check_declared_size(declared_size)
    try:
        telegram_file = await bot.get_file(file_id)
    except TelegramBadRequest as error:
        if "too big" in error.message.lower():
            raise EvidenceRejected("too_large") from error
        log.warning("evidence download refused", extra={"error": describe_error(error)})
        raise EvidenceRejected("download_failed") from error
    except TelegramAPIError as error:
        log.warning("evidence download failed", extra={"error": describe_error(error)})
        raise EvidenceRejected("download_failed") from error
    check_declared_size(telegram_file.file_size)
    if telegram_file.file_path is None:
        raise EvidenceRejected("download_failed")
    for delay in (*_DOWNLOAD_RETRY_DELAYS, None):
        try:
            return await _download_at_most(bot, telegram_file.file_path, MAX_DOWNLOAD_BYTES)
        except (TelegramAPIError, aiohttp.ClientError, TimeoutError, OSError) as error:
            log.warning("evidence download failed", extra={"error": type(error).__name__})
            if delay is None:
                raise EvidenceRejected("download_failed") from error
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


async def _download_at_most(bot: Bot, file_path: str, limit: int) -> bytes:
    """The file's body, as `Bot.download_file` fetches it, but refused ("too_large") as soon
    as it runs past `limit`: closing the stream drops the connection, so the rest is never
    sent to us."""
    url = bot.session.api.file_url(bot.token, file_path)
    received = bytearray()
    chunks = bot.session.stream_content(url=url, timeout=30, raise_for_status=True)
    async with contextlib.aclosing(chunks):
        async for chunk in chunks:
            if len(received) + len(chunk) > limit:
                log.warning("evidence download ran past its limit", extra={"limit": limit})
                raise EvidenceRejected("too_large")
            received += chunk
    return bytes(received)
