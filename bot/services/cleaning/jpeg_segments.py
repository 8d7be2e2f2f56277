"""JPEG pictures inside PDFs keep the EXIF of the camera or phone that took them (GPS, make
and model, often the owner's name): a PDF is commonly a photo saved as a document. The
pixels are kept as they are (re-encoding would lose quality and change what staff see); the
header segments that carry metadata are dropped.

Kept: JFIF APP0 and Adobe APP14 (the decoder needs Adobe's colour transform flag) and every
segment that is not metadata. Dropped: the other APPn segments (EXIF and XMP in APP1, ICC in
APP2, Photoshop's IPTC in APP13, ...), comments, and anything after the end of the image."""

from __future__ import annotations

_SOI = b"\xff\xd8"
_EOI = 0xD9
_SOS = 0xDA
_COM = 0xFE
_APP0, _APP14, _APP15 = 0xE0, 0xEE, 0xEF
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RST0-7 carry no length


class MalformedJpeg(ValueError):
    pass


def strip_jpeg_metadata(jpeg: bytes) -> bytes:
    if not jpeg.startswith(_SOI):
        raise MalformedJpeg("no start-of-image marker")
    kept = [_SOI]
    position = 2
    end = len(jpeg)
    while position < end:
        if jpeg[position] != 0xFF:
            raise MalformedJpeg(f"expected a marker at {position}")
        while position < end and jpeg[position] == 0xFF:  # fill bytes before a marker
            position += 1
        if position >= end:
            break
        marker = jpeg[position]
        position += 1
        if marker == _EOI:
            kept.append(b"\xff\xd9")
            break
        if marker in _STANDALONE:
            kept.append(bytes((0xFF, marker)))
            continue
        if position + 2 > end:
            raise MalformedJpeg("segment length cut off")
        length = int.from_bytes(jpeg[position : position + 2], "big")
        if length < 2 or position + length > end:
            raise MalformedJpeg(f"segment of length {length} at {position} runs past the end")
        segment = jpeg[position : position + length]
        position += length
        if _keep(marker, segment[2:]):
            kept.append(bytes((0xFF, marker)) + segment)
        if marker == _SOS:
            scan_end = _entropy_coded_end(jpeg, position)
            kept.append(jpeg[position:scan_end])
            position = scan_end
    return b"".join(kept)


def _keep(marker: int, payload: bytes) -> bool:
    if marker == _APP0:
        return payload.startswith(b"JFIF\x00")
    if marker == _APP14:
        return payload.startswith(b"Adobe")
    return not (_APP0 <= marker <= _APP15 or marker == _COM)


def _entropy_coded_end(jpeg: bytes, position: int) -> int:
    """Where the compressed scan starting at `position` ends: the next 0xFF that begins a
    marker, not a stuffed 0xFF00, a restart marker or a fill byte."""
    while True:
        found = jpeg.find(b"\xff", position)
        if found < 0 or found + 1 >= len(jpeg):
            return len(jpeg)  # a scan cut short: kept as it is, as viewers show it
        following = jpeg[found + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            position = found + 1
            continue
        return found
