"""Pictures reporters send (JPEG, PNG, WEBP, and HEIF/AVIF as phones save them) made safe
to keep: every pixel decoded and encoded afresh without any metadata, bombs and absurd
dimensions refused from the header before decoding. Pure and synchronous: callers run it in
a thread."""

from __future__ import annotations

import functools
import hashlib
import warnings
from datetime import datetime
from io import BytesIO
from typing import TYPE_CHECKING

from bot.services.evidence import EvidenceRejected, ProcessedEvidence
from bot.services.file_types import AVIF, HEIF, FileType, sniff

if TYPE_CHECKING:
    # Pillow is imported by the functions that decode images, on the first image a reporter
    # sends: it costs a bot process 2 MB, and PDFs, videos and idle bots never need it.
    from PIL import Image

MAX_IMAGE_PIXELS = 50_000_000
MAX_SIDE = 20_000
MAX_ASPECT_RATIO = 50
THUMBNAIL_SIDE = 320
JPEG_QUALITY = 85

_EXIF_IFD = 0x8769
_DATETIME_ORIGINAL = 36867
_PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP", "heif": "HEIF", "avif": "AVIF"}


def process_image(
    data: bytes, file_type: FileType | None = None, *, max_pixels: int = MAX_IMAGE_PIXELS
) -> ProcessedEvidence:
    """The picture re-encoded as JPEG (PNG when it has transparency), with its thumbnail,
    perceptual hash and capture time. `file_type` is sniffed from the bytes when not given."""
    file_type = file_type or sniff(data)
    if file_type.family != "image":
        raise EvidenceRejected("unsupported_type")
    _enable_decoder(file_type)
    original_sha256 = hashlib.sha256(data).hexdigest()
    from PIL import Image, ImageOps, UnidentifiedImageError

    with warnings.catch_warnings():
        # Pillow warns (and errors at twice its limit) on huge images; our own, stricter
        # check below runs first, from the header alone, before any pixel is decoded.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(data), formats=[_PILLOW_FORMATS[file_type.name]])
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
        look_alike=look_alike_hashes(small),
    )


def _enable_decoder(file_type: FileType) -> None:
    """HEIF comes from pillow-heif, imported only for HEIF files: the JPEG path a bot spends
    its time on stays as it was. AVIF is Pillow's own where it was built with libavif."""
    if file_type == HEIF:
        _register_heif()
    elif file_type == AVIF:
        from PIL import features

        if not features.check("avif"):
            raise EvidenceRejected("unsupported_type")


@functools.cache
def _register_heif() -> None:
    from pillow_heif import register_heif_opener

    # libheif applies the rotation the file records, and pillow-heif then resets the EXIF
    # orientation to 1, so the picture is turned upright once and only once. Embedded
    # thumbnails, depth maps and auxiliary images are never wanted: only the photo is kept.
    register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)


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


# The centre of the picture, hashed as well: a copy cropped by up to about a tenth on each
# side hashes like one of them (bench/similar_images.py measures the share caught).
CENTRE_CROPS = (0.05, 0.10)
# A border differing from its corner pixel by less than this is a screenshot's bar or a
# frame, trimmed before hashing.
_BORDER_TOLERANCE = 24


def look_alike_hashes(image: Image.Image) -> tuple[str, ...]:
    """The difference hashes that find copies of a picture (services/similar_images.py):
    the whole picture, trimmed of uniform borders, then its centre without 5% and 10% of
    each side."""
    picture = _without_borders(image.convert("RGB"))
    width, height = picture.size
    hashes = [dhash(picture)]
    for share in CENTRE_CROPS:
        dx, dy = int(width * share), int(height * share)
        hashes.append(dhash(picture.crop((dx, dy, width - dx, height - dy))))
    return tuple(hashes)


def _without_borders(image: Image.Image) -> Image.Image:
    """The picture without bars of one colour around it (a screenshot's, a frame), unless
    what remains is under a third of it: then the "border" was the picture."""
    from PIL import Image, ImageChops

    grey = image.convert("L")
    corner = Image.new("L", grey.size, grey.getpixel((0, 0)))  # type: ignore[arg-type]
    differs = ImageChops.difference(grey, corner).point(
        lambda value: 255 if value > _BORDER_TOLERANCE else 0
    )
    box = differs.getbbox()
    if box is None:
        return image
    left, top, right, bottom = box
    if (right - left) * (bottom - top) < grey.size[0] * grey.size[1] / 3:
        return image
    return image.crop(box)
