"""Accepting one evidence file: decide its type from the bytes, re-encode pictures off the
event loop, store content-addressed."""

from __future__ import annotations

import asyncio
import hashlib
import logging

from bot.services.evidence import ProcessedEvidence
from bot.services.file_types import FileType, sniff
from bot.services.images import process_image
from bot.services.intake import EvidenceItem
from storage.evidence_store import EvidenceStore

log = logging.getLogger(__name__)

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
    def __init__(self, store: EvidenceStore) -> None:
        self._store = store

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
            captured_at=processed.captured_at.isoformat() if processed.captured_at else None,
        )

    async def _cleaned(self, data: bytes, file_type: FileType) -> ProcessedEvidence:
        # Stored as received and never opened: a PDF's scripts or a video's codec bugs
        # cannot reach us if nothing here parses them.
        digest = hashlib.sha256(data).hexdigest()
        return ProcessedEvidence(
            kind=file_type.family,
            mime=file_type.mime,
            data=data,
            sha256=digest,
            original_sha256=digest,
            size=len(data),
        )

    async def content(self, item: EvidenceItem) -> bytes:
        return await self._store.get(item.storage_key)

    async def _store_thumbnail(self, processed: ProcessedEvidence) -> str | None:
        if processed.thumbnail is None:
            return None
        digest = hashlib.sha256(processed.thumbnail).hexdigest()
        return await self._store.put(processed.thumbnail, sha256=digest, suffix=".jpg")
