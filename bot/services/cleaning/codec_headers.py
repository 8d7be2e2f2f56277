"""A video stream's header (its parameter sets, which MP4 keeps in the sample description
and Matroska in CodecPrivate) without the SEI messages a camera or encoder may put there.
FFmpeg's `filter_units` drops SEI from the packets, but passes the header on as it was
(rewritten in Annex B form, start codes before each unit), and x265, for one, writes its
name and settings into it.

Only the framing is read: the start codes and each unit's type."""

from __future__ import annotations

import re

from bot.services.cleaning.child import CannotClean

_START_CODE = re.compile(b"\x00\x00\x01")
_FOUR_BYTE_START = b"\x00\x00\x00\x01"


def _h264_type(unit: bytes) -> int:
    return unit[0] & 0x1F


def _hevc_type(unit: bytes) -> int:
    return (unit[0] >> 1) & 0x3F


# For each codec: how to read a unit's type, and the types that are SEI.
_SEI = {"h264": (_h264_type, {6}), "hevc": (_hevc_type, {39, 40})}


def without_sei(codec: str, header: bytes) -> bytes:
    """`header`, in Annex B form, with its SEI units left out; for a codec without SEI
    the header is returned as it is."""
    if codec not in _SEI or not header:
        return header
    if not header.startswith((b"\x00\x00\x01", _FOUR_BYTE_START)):
        raise CannotClean("unreadable stream header")
    unit_type, sei_types = _SEI[codec]
    starts = [match.end() for match in _START_CODE.finditer(header)]
    ends = [start - len(b"\x00\x00\x01") for start in starts[1:]] + [len(header)]
    # A unit ends in a non-zero byte (its stop bit); zeros after it belong to the next
    # start code or are padding.
    units = [header[start:end].rstrip(b"\x00") for start, end in zip(starts, ends, strict=True)]
    kept = [unit for unit in units if unit and unit_type(unit) not in sei_types]
    return b"".join(_FOUR_BYTE_START + unit for unit in kept)
