"""Files reporters send, fetched from Telegram: getFile, then the download, each retried
when the failure passes (the Bot API client retries getFile; the download is retried here)."""

from __future__ import annotations

import asyncio
import io
import logging

import aiohttp
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest

from bot.logs import describe_error
from bot.services.evidence import EvidenceRejected, check_declared_size

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
        buffer = io.BytesIO()
        try:
            await bot.download_file(telegram_file.file_path, destination=buffer)
            return buffer.getvalue()
        except (TelegramAPIError, aiohttp.ClientError, TimeoutError, OSError) as error:
            log.warning("evidence download failed", extra={"error": type(error).__name__})
            if delay is None:
                raise EvidenceRejected("download_failed") from error
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")
