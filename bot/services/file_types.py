"""What an evidence file really is, read from its first bytes: names and claimed MIME types
lie, and the type decides how the file is made safe (re-encoded as a photo, or cleaned in a
child process as a PDF or a video).

ISO base media files (MP4, MOV, 3GP, HEIF, AVIF) all start with an `ftyp` box; only its
brands tell a phone's HEIC photo, which carries GPS and the device in its EXIF, from a video.
The major brand decides when it is one we know and says more than "an image of the HEIF
family"; otherwise the compatible brands do, images first."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Literal

from bot.services.evidence import EvidenceRejected

Family = Literal["image", "pdf", "video"]


@dataclass(frozen=True)
class FileType:
    name: str  # "jpeg", "heif", "mp4", "webm", ...: also the container a video is remuxed into
    family: Family
    mime: str


JPEG = FileType("jpeg", "image", "image/jpeg")
PNG = FileType("png", "image", "image/png")
WEBP = FileType("webp", "image", "image/webp")
HEIF = FileType("heif", "image", "image/heif")
AVIF = FileType("avif", "image", "image/avif")
PDF = FileType("pdf", "pdf", "application/pdf")
MP4 = FileType("mp4", "video", "video/mp4")
MOV = FileType("mov", "video", "video/quicktime")
THREE_GP = FileType("3gp", "video", "video/3gpp")
WEBM = FileType("webm", "video", "video/webm")
MATROSKA = FileType("mkv", "video", "video/x-matroska")

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_GENERIC_IMAGE_BRANDS = {b"mif1", b"msf1"}
_MP4_BRANDS = {
    *(b"iso" + bytes([digit]) for digit in b"m23456789"),
    b"mp41",
    b"mp42",
    b"mp71",
    b"avc1",
    b"M4V ",
    b"M4VH",
    b"M4VP",
    b"M4A ",  # a voice recording: an audio-only MP4, remuxed like a video
    b"f4v ",
    b"MSNV",
    b"XAVC",
    b"dash",
    b"mmp4",
}
_MAX_BRANDS = 64  # a phone writes a handful; a box claiming thousands is read no further


def sniff(data: bytes) -> FileType:
    if not data:
        raise EvidenceRejected("empty")
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"%PDF-"):
        return PDF
    if data[4:8] == b"ftyp":
        return _iso_media_type(data)
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return WEBM if _ebml_doc_type(data) == b"webm" else MATROSKA
    raise EvidenceRejected("unsupported_type")


def _iso_media_type(data: bytes) -> FileType:
    (box_size,) = struct.unpack(">I", data[:4])
    end = min(box_size, len(data), 16 + 4 * _MAX_BRANDS)
    major = data[8:12]
    compatible = [data[offset : offset + 4] for offset in range(16, end - 3, 4)]
    # mif1 and msf1 say only "some HEIF-family image": an AVIF is mif1 with avif listed.
    if major not in _GENERIC_IMAGE_BRANDS and (from_major := _brand_type(major)) is not None:
        return from_major
    listed = [_brand_type(brand) for brand in (*compatible, major)]
    for image in (AVIF, HEIF):
        if image in listed:
            return image
    for found in listed:
        if found is not None:
            return found
    raise EvidenceRejected("unsupported_type")


def _brand_type(brand: bytes) -> FileType | None:
    if brand in _AVIF_BRANDS:
        return AVIF
    if brand in _HEIF_BRANDS:
        return HEIF
    if brand == b"qt  ":
        return MOV
    if brand.startswith((b"3gp", b"3g2", b"3ge", b"3gg", b"3gs")):
        return THREE_GP
    if brand in _MP4_BRANDS:
        return MP4
    return None


def _ebml_doc_type(data: bytes) -> bytes | None:
    """The DocType ("webm" or "matroska") from the EBML header: the WebM muxer takes only
    VP8/VP9/AV1 with Vorbis/Opus, so an MKV must be remuxed as Matroska."""
    header = data[:64]
    at = header.find(b"\x42\x82")
    if at < 0 or at + 3 > len(header):
        return None
    length_byte = header[at + 2]
    if not length_byte & 0x80:  # longer size fields are never used for a 4-8 byte name
        return None
    length = length_byte & 0x7F
    return header[at + 3 : at + 3 + length]
