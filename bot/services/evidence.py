"""Evidence files as received from reporters: decide the type from the bytes, make images
safe to keep (metadata stripped, bombs refused), hash everything. Pure and synchronous:
callers run it in a thread."""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from datetime import datetime
from io import BytesIO
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    # Pillow is imported by the functions that decode images, on the first image a reporter
    # sends: it costs a bot process 2 MB, and PDFs, videos and idle bots never need it.
    from PIL import Image

MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024  # the Bot API's getFile limit
MAX_IMAGE_PIXELS = 50_000_000
MAX_SIDE = 20_000
MAX_ASPECT_RATIO = 50
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867


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


def sniff_kind(data: bytes) -> str:
    """The file's real type from its first bytes; names and claimed MIME types lie."""
    if not data:
        raise EvidenceRejected("empty")
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        return "mov" if brand == b"qt  " else "3gp" if brand.startswith(b"3g") else "mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "webm"
    raise EvidenceRejected("unsupported_type")


_MIME = {
    "jpeg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "pdf": "application/pdf",
    "mp4": "video/mp4",
    "mov": "video/quicktime",
    "3gp": "video/3gpp",
    "webm": "video/webm",
}


def process_evidence(data: bytes, *, max_pixels: int = MAX_IMAGE_PIXELS) -> ProcessedEvidence:
    kind = sniff_kind(data)
    original_sha256 = hashlib.sha256(data).hexdigest()
    if kind not in ("jpeg", "png", "webp"):
        # Stored as received and never opened: a PDF's scripts or a video's codec bugs
        # cannot reach us if nothing here parses them.
        return ProcessedEvidence(
            kind="pdf" if kind == "pdf" else "video",
            mime=_MIME[kind],
            data=data,
            sha256=original_sha256,
            original_sha256=original_sha256,
            size=len(data),
        )
    return _process_image(data, original_sha256, max_pixels)


def _process_image(data: bytes, original_sha256: str, max_pixels: int) -> ProcessedEvidence:
    from PIL import Image, ImageOps, UnidentifiedImageError

    with warnings.catch_warnings():
        # Pillow warns (and errors at twice its limit) on huge images; our own, stricter
        # check below runs first, from the header alone, before any pixel is decoded.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(data), formats=["JPEG", "PNG", "WEBP"])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise EvidenceRejected("image_too_big") from error
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
            raise EvidenceRejected("corrupt_image") from error
        width, height = image.size
        if width * height > max_pixels:
            raise EvidenceRejected("image_too_big")
        if max(width, height) > MAX_SIDE or max(width, height) > MAX_ASPECT_RATIO * min(
            width, height
        ):
            raise EvidenceRejected("bad_dimensions")
        if getattr(image, "n_frames", 1) > 1:
            raise EvidenceRejected("animated")
        captured_at = _capture_time(image)
        try:
            image.load()
            # In place: turned only when the orientation says so, never copied otherwise.
            ImageOps.exif_transpose(image, in_place=True)
        except (OSError, SyntaxError, ValueError) as error:  # truncated or malformed data
            raise EvidenceRejected("corrupt_image") from error
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise EvidenceRejected("image_too_big") from error
    keep_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if keep_alpha else "RGB"
    # A copy of 12 megapixels costs 30 ms: convert only when the mode differs.
    clean = image if image.mode == mode else image.convert(mode)
    # Nothing the file said about itself reaches the stored copy: the pixels are encoded
    # afresh and the encoder is given no EXIF, XMP, ICC profile or comment, neither as
    # arguments nor through the image's info (which Pillow reads the comment from).
    clean.info = {}
    output = BytesIO()
    if keep_alpha:
        clean.save(output, format="PNG", optimize=True)
        stored_mime = "image/png"
    else:
        # No optimize: its extra Huffman pass took 60 ms of a 12 MP photo's 150 for about
        # 5% of the file (bench/RESULTS.md).
        clean.save(output, format="JPEG", quality=JPEG_QUALITY, exif=b"")
        stored_mime = "image/jpeg"
    stored = output.getvalue()
    # The thumbnail and the perceptual hash both come from a cheap integer reduction of
    # the picture; resampling 12 megapixels down to 320 or 9 pixels took 100 ms.
    small = _reduced(clean, THUMBNAIL_SIDE * 2)
    return ProcessedEvidence(
        kind="image",
        mime=stored_mime,
        data=stored,
        sha256=hashlib.sha256(stored).hexdigest(),
        original_sha256=original_sha256,
        size=len(stored),
        thumbnail=_thumbnail(small),
        captured_at=captured_at,
        width=clean.width,
        height=clean.height,
        phash=dhash(small),
    )


def _reduced(image: Image.Image, at_least: int) -> Image.Image:
    """The picture shrunk by a whole factor, its longer side still at least `at_least`."""
    factor = max(1, max(image.size) // at_least)
    return image.reduce(factor) if factor > 1 else image


def _capture_time(image: Image.Image) -> datetime | None:
    try:
        value = image.getexif().get_ifd(_EXIF_IFD).get(_DATETIME_ORIGINAL)
        return datetime.strptime(str(value).strip("\x00 "), "%Y:%m:%d %H:%M:%S") if value else None
    except (ValueError, TypeError, OSError, SyntaxError):
        return None  # a malformed date is not a reason to refuse the evidence


def _thumbnail(image: Image.Image) -> bytes:
    thumbnail = image.convert("RGB")
    thumbnail.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
    output = BytesIO()
    thumbnail.save(output, format="JPEG", quality=75)
    return output.getvalue()


def dhash(image: Image.Image) -> str:
    """64-bit difference hash: equal or near for the same picture re-encoded or resized."""
    from PIL import Image

    small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
    pixels = small.tobytes()
    bits = 0
    for row in range(8):
        for column in range(8):
            left = pixels[row * 9 + column]
            right = pixels[row * 9 + column + 1]
            bits = (bits << 1) | (left > right)
    return f"{bits:016x}"
