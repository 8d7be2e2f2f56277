"""Telling files apart by their bytes, above all a phone's HEIC photo (which carries GPS in
its EXIF) from a video: both are ISO media files starting with an `ftyp` box."""

from __future__ import annotations

import struct

import pytest

from bot.services.evidence import EvidenceRejected
from bot.services.file_types import sniff
from tests.helpers import imagegen, videogen


def ftyp(major: bytes, *compatible: bytes) -> bytes:
    body = major + struct.pack(">I", 0) + b"".join(compatible)
    return struct.pack(">I", 8 + len(body)) + b"ftyp" + body + b"\x00\x00\x00\x08free"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (ftyp(b"heic", b"mif1", b"heic", b"miaf"), "heif"),  # an iPhone photo
        (ftyp(b"mif1", b"mif1", b"heic"), "heif"),  # Samsung's HEIC
        (ftyp(b"heix", b"mif1"), "heif"),
        (ftyp(b"msf1", b"msf1", b"hevc"), "heif"),
        (ftyp(b"avif", b"avif", b"mif1", b"miaf"), "avif"),
        (ftyp(b"mif1", b"avif", b"mif1", b"miaf"), "avif"),  # mif1 first, yet an AVIF
        (ftyp(b"avis", b"avis", b"msf1"), "avif"),
        (ftyp(b"isom", b"isom", b"iso2", b"avc1", b"mp41"), "mp4"),
        (ftyp(b"mp42", b"isom"), "mp4"),
        (ftyp(b"M4V ", b"M4V ", b"mp42"), "mp4"),
        (ftyp(b"qt  ", b"qt  "), "mov"),  # an iPhone video
        (ftyp(b"3gp4", b"isom", b"3gp4"), "3gp"),
        (ftyp(b"XYZ1", b"mp42", b"isom"), "mp4"),  # an unknown major brand, a known one listed
    ],
)
def test_iso_media_files_are_told_apart_by_their_brands(header: bytes, expected: str) -> None:
    assert sniff(header).name == expected


def test_an_iso_media_file_with_no_brand_we_know_is_refused() -> None:
    with pytest.raises(EvidenceRejected) as refused:
        sniff(ftyp(b"abcd", b"efgh"))
    assert refused.value.reason == "unsupported_type"


def test_real_files_are_sniffed_as_what_they_are() -> None:
    assert sniff(imagegen.heic_with_exif_gps()).mime == "image/heif"
    assert sniff(videogen.android_mp4()).mime == "video/mp4"
    assert sniff(videogen.iphone_mov()).mime == "video/quicktime"
    assert sniff(videogen.webm_video()).mime == "video/webm"
    assert sniff(videogen.matroska_video()).mime == "video/x-matroska"
