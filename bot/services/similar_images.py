"""Cases carrying a copy of the same picture: re-encoded, resized, lightly cropped or
screenshotted, not only byte-identical.

Each picture is stored as a few 64-bit difference hashes (images.look_alike_hashes). Two
pictures are copies when some pair of their hashes differs in at most MATCH_DISTANCE bits.
Finding them among millions uses multi-index hashing (Norouzi, Punjani and Fleet, 2012):
each hash is cut into four 16-bit bands, and hashes within 7 bits of each other agree to
within one bit on at least one band; so the candidates are the rows whose band equals one
of the 17 values within one bit of ours, an indexed look-up per band, and the exact
distance is checked on those few. bench/similar_images.py measures the share of copies
caught and the look-up time at a million cases."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import ImageHash

# Re-encoded and resized copies differ by 0 to 3 bits, cropped ones by up to 5 once the
# crops are hashed; unrelated pictures by 17 or more (bench/RESULTS.md).
MATCH_DISTANCE = 6
BANDS = 4
BAND_BITS = 16
_BAND_MASK = (1 << BAND_BITS) - 1
# Candidate rows read at a time when only the newest copies are wanted.
_PAGE = 200


def bands(hash_hex: str) -> tuple[int, ...]:
    value = int(hash_hex, 16)
    return tuple(
        (value >> (BAND_BITS * (BANDS - 1 - index))) & _BAND_MASK for index in range(BANDS)
    )


def distance(first: str, second: str) -> int:
    return (int(first, 16) ^ int(second, 16)).bit_count()


def _within_one_bit(band: int) -> set[int]:
    return {band, *(band ^ (1 << bit) for bit in range(BAND_BITS))}


def hash_rows(case_id: int, hashes: Iterable[str]) -> list[ImageHash]:
    rows = []
    for hash_hex in dict.fromkeys(hashes):  # once each, in order
        band0, band1, band2, band3 = bands(hash_hex)
        rows.append(
            ImageHash(
                case_id=case_id, hash=hash_hex, band0=band0, band1=band1, band2=band2, band3=band3
            )
        )
    return rows


async def cases_with_copies(
    session: AsyncSession, hashes: Sequence[str], *, other_than: int, newest: int | None = None
) -> list[int]:
    """The cases (other than `other_than`) holding a picture within MATCH_DISTANCE bits of
    one of `hashes`, newest first; with `newest`, only that many.

    With `newest`, candidates are read newest first a page at a time until enough match: a
    picture that thousands of reports carry would otherwise bring every one of their rows
    to Python, for each new report (bench/RESULTS.md)."""
    if not hashes:
        return []
    probes: list[set[int]] = [set() for _ in range(BANDS)]
    for hash_hex in hashes:
        for index, band in enumerate(bands(hash_hex)):
            probes[index] |= _within_one_bit(band)
    columns = (ImageHash.band0, ImageHash.band1, ImageHash.band2, ImageHash.band3)
    candidates = select(ImageHash.case_id, ImageHash.hash).where(
        or_(
            *(
                col(column).in_(sorted(values))
                for column, values in zip(columns, probes, strict=True)
            )
        ),
        ImageHash.case_id != other_than,
    )
    if newest is None:
        return sorted(_copies((await session.exec(candidates)).all(), hashes), reverse=True)
    page = max(_PAGE, newest * 10)
    ordered = candidates.order_by(col(ImageHash.case_id).desc()).limit(page)
    found: set[int] = set()
    offset = 0
    while True:
        rows = (await session.exec(ordered.offset(offset))).all()
        found |= _copies(rows, hashes)
        if len(found) >= newest or len(rows) < page:
            return sorted(found, reverse=True)[:newest]
        offset += page


def _copies(candidates: Iterable[tuple[int, str]], hashes: Sequence[str]) -> set[int]:
    return {
        case_id
        for case_id, stored in candidates
        if any(distance(stored, ours) <= MATCH_DISTANCE for ours in hashes)
    }
