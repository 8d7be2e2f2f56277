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
    # Difference hashes of a picture (images.look_alike_hashes): the first is the whole
    # picture's; all of them find its re-encoded, resized or cropped copies.
    look_alike: tuple[str, ...] = ()

    @property
    def phash(self) -> str | None:
        return self.look_alike[0] if self.look_alike else None


def check_declared_size(size: int | None) -> None:
    if size is not None and size > MAX_DOWNLOAD_BYTES:
        raise EvidenceRejected("too_large")
