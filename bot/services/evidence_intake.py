"""Accepting one evidence file: decide its type from the bytes, make it safe (a picture
re-encoded in a thread, a PDF or video cleaned in a child process), store it
content-addressed."""

from __future__ import annotations

import asyncio
import hashlib
import logging

from bot.services.cleaning.runner import CleanerRunner
from bot.services.evidence import EvidenceRejected, ProcessedEvidence
from bot.services.file_types import FileType, sniff
from bot.services.images import process_image
from bot.services.intake import EvidenceItem
from storage.evidence_store import EvidenceStore

log = logging.getLogger(__name__)

_CLEANERS = {"pdf": "bot.services.cleaning.pdf", "video": "bot.services.cleaning.video"}
_SUFFIXES = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "image/webp": ".webp",
    "application/pdf": ".pdf",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "video/x-matroska": ".mkv",
    "video/3gpp": ".3gp",
}


def suffix_for(mime: str) -> str:
    return _SUFFIXES.get(mime, ".bin")


class EvidenceIntake:
    def __init__(self, store: EvidenceStore, cleaner: CleanerRunner | None = None) -> None:
        self._store = store
        self._cleaner = cleaner or CleanerRunner()

    async def accept(self, data: bytes) -> EvidenceItem:
        """Raises EvidenceRejected for unacceptable files, EvidenceStoreUnavailable when the
        store cannot be written."""
        file_type = sniff(data)
        if file_type.family == "image":
            processed = await asyncio.to_thread(process_image, data, file_type)
        else:
            processed = await self._cleaned(data, file_type)
        key = await self._store.put(
            processed.data, sha256=processed.sha256, suffix=suffix_for(processed.mime)
        )
        thumbnail_key = await self._store_thumbnail(processed)
        log.info("evidence stored", extra={"sha256": processed.sha256, "kind": processed.kind})
        return EvidenceItem(
            kind=processed.kind,
            mime=processed.mime,
            storage_key=key,
            sha256=processed.sha256,
            original_sha256=processed.original_sha256,
            size=len(processed.data),
            thumbnail_key=thumbnail_key,
            phash=processed.phash,
            look_alike=processed.look_alike,
            captured_at=processed.captured_at.isoformat() if processed.captured_at else None,
        )

    async def _cleaned(self, data: bytes, file_type: FileType) -> ProcessedEvidence:
        arguments = [file_type.name] if file_type.family == "video" else []
        cleaned = await self._cleaner.clean(_CLEANERS[file_type.family], data, *arguments)
        try:
            still_the_same = sniff(cleaned).family == file_type.family
        except EvidenceRejected:
            still_the_same = False
        if not still_the_same:  # a cleaner gone wrong in a way it did not notice
            raise EvidenceRejected("cannot_clean")
        return ProcessedEvidence(
            kind=file_type.family,
            mime=file_type.mime,
            data=cleaned,
            sha256=hashlib.sha256(cleaned).hexdigest(),
            original_sha256=hashlib.sha256(data).hexdigest(),
            size=len(cleaned),
        )

    async def content(self, item: EvidenceItem) -> bytes:
        return await self._store.get(item.storage_key)

    async def _store_thumbnail(self, processed: ProcessedEvidence) -> str | None:
        if processed.thumbnail is None:
            return None
        digest = hashlib.sha256(processed.thumbnail).hexdigest()
        return await self._store.put(processed.thumbnail, sha256=digest, suffix=".jpg")
