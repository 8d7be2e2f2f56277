"""Evidence files as the bot accepts them: the limits every file meets, the reasons a file
is refused, and what is kept of a file once it has been made safe (bot/services/images.py
for pictures, bot/services/cleaning/ for PDFs and videos)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the Bot API's getFile limit


class EvidenceRejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ProcessedEvidence:
    kind: str  # "image" | "pdf" | "video"
    mime: str
    data: bytes
    sha256: str
    original_sha256: str
    size: int
    thumbnail: bytes | None = None
    captured_at: datetime | None = None
    width: int | None = None
    height: int | None = None
    phash: str | None = None


def check_declared_size(size: int | None) -> None:
    if size is not None and size > MAX_DOWNLOAD_BYTES:
        raise EvidenceRejected("too_large")
