"""Copies of a picture among related cases (services/similar_images.py): the share of
re-encoded, resized, cropped and screenshotted copies found, the share of unrelated
pictures wrongly taken for copies, and the look-up time among a million cases' hashes.

Pictures are made with Pillow (tests/helpers/imagegen.scene_jpeg: light and shade at
several scales, shapes, a line of poster text), 1280×960; each copy is made from the
original as a phone or a messenger would, and hashed by the bot's own process_image.

The look-up is timed on image_hash filled with random hashes, three per case as the bot
stores for one picture. Random hashes spread evenly over the bands; real pictures' hashes
bunch (dark, flat pictures share bands), so a real table returns more candidates per
look-up than this one."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import statistics
import time
from collections.abc import Callable
from io import BytesIO

from PIL import Image, ImageEnhance

from bench.context import BenchContext
from bench.databases import available_backends, fresh_database
from bench.report import Result
from bot.services.images import process_image
from bot.services.similar_images import MATCH_DISTANCE, bands, cases_with_copies, distance
from storage.db import create_engine, create_session_factory
from tests.helpers.imagegen import cropped_jpeg, resized_jpeg, scene_jpeg

SECTION = "similar_images"
TARGET_CAUGHT = 0.9  # re-encoded, resized and evenly cropped copies
TARGET_LOOKUP_MS = 50.0
HASHES_PER_CASE = 3


def _jpeg(image: Image.Image, quality: int) -> bytes:
    output = BytesIO()
    image.convert("RGB").save(output, format="JPEG", quality=quality)
    return output.getvalue()


def _one_side_cropped(data: bytes) -> bytes:
    image = Image.open(BytesIO(data))
    return _jpeg(image.crop((0, 0, int(image.width * 0.92), image.height)), 85)


def _brighter(data: bytes) -> bytes:
    return _jpeg(ImageEnhance.Brightness(Image.open(BytesIO(data))).enhance(1.15), 85)


def _screenshot(data: bytes) -> bytes:
    """The picture as a phone screenshot shows it: white bars above and below."""
    image = Image.open(BytesIO(data))
    canvas = Image.new("RGB", (image.width, int(image.height * 1.3)), "white")
    canvas.paste(image, (0, int(image.height * 0.12)))
    return _jpeg(canvas, 85)


# (copy, whether the target applies to it)
COPIES: dict[str, tuple[Callable[[bytes], bytes], bool]] = {
    "re-encoded at JPEG quality 35": (lambda data: resized_jpeg(data, 1.0, quality=35), True),
    "half size": (lambda data: resized_jpeg(data, 0.5, quality=80), True),
    "quarter size, quality 50": (lambda data: resized_jpeg(data, 0.25, quality=50), True),
    "3% cut from each side": (lambda data: cropped_jpeg(data, 0.03), True),
    "5% cut from each side": (lambda data: cropped_jpeg(data, 0.05), True),
    "10% cut from each side": (lambda data: cropped_jpeg(data, 0.10), True),
    "15% brighter": (_brighter, True),
    "screenshot with bars": (_screenshot, True),
    "8% cut from one side": (_one_side_cropped, False),
}


def _caught(pictures: int, quick: bool) -> list[Result]:
    originals = [scene_jpeg(seed) for seed in range(pictures)]
    hashes = [process_image(data).look_alike for data in originals]
    results = []
    for name, (make, targeted) in COPIES.items():
        found = 0
        for data, original in zip(originals, hashes, strict=True):
            copy = process_image(make(data)).look_alike
            found += min(distance(a, b) for a in copy for b in original) <= MATCH_DISTANCE
        share = found / pictures
        results.append(
            Result(
                SECTION,
                f"copies found: {name}",
                round(share * 100),
                "%",
                target=f"≥ {TARGET_CAUGHT:.0%}" if targeted else "",
                met=share >= TARGET_CAUGHT if targeted and not quick else None,
                note=f"{pictures} pictures",
            )
        )
    pairs = [(a, b) for i, a in enumerate(hashes) for b in hashes[i + 1 :]]
    wrong = sum(min(distance(x, y) for x in a for y in b) <= MATCH_DISTANCE for a, b in pairs)
    results.append(
        Result(
            SECTION,
            "unrelated pictures taken for copies",
            round(wrong / len(pairs) * 100, 2),
            "%",
            note=f"{len(pairs):,} pairs",
        )
    )
    return results


def _random_rows(cases: int, chance: random.Random) -> list[tuple[int, str, int, int, int, int]]:
    rows = []
    for case_id in range(1, cases + 1):
        for _ in range(HASHES_PER_CASE):
            hash_hex = f"{chance.getrandbits(64):016x}"
            rows.append((case_id, hash_hex, *bands(hash_hex)))
    return rows


async def _load(url: str, backend: str, rows: list[tuple[int, str, int, int, int, int]]) -> None:
    columns = ("case_id", "hash", "band0", "band1", "band2", "band3")
    if backend == "sqlite":
        connection = sqlite3.connect(url.split("///", 1)[1])
        try:
            connection.execute("PRAGMA synchronous=OFF")  # generated data: nothing to protect
            with connection:
                connection.executemany(
                    f"INSERT INTO image_hash ({', '.join(columns)}) VALUES (?, ?, ?, ?, ?, ?)",
                    rows,
                )
            connection.execute("ANALYZE")
        finally:
            connection.close()
        return
    import asyncpg
    from sqlalchemy.engine import make_url

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(plain)
    try:
        # Hashes without their cases: the look-up never reads the case table.
        await connection.execute("ALTER TABLE image_hash DROP CONSTRAINT image_hash_case_id_fkey")
        await connection.copy_records_to_table("image_hash", records=rows, columns=columns)
        await connection.execute("VACUUM ANALYZE image_hash")
    finally:
        await connection.close()


async def _lookup_times(context: BenchContext, backend: str, cases: int) -> Result:
    chance = random.Random(cases)
    rows = _random_rows(cases, chance)
    async with fresh_database(context, backend) as url:
        await _load(url, backend, rows)
        engine = create_engine(url)
        sessions = create_session_factory(engine)
        times = []
        try:
            for attempt in range(40):
                # A new picture's three hashes, one a near copy of a stored one.
                stored = rows[chance.randrange(len(rows))][1]
                near = f"{int(stored, 16) ^ (1 << chance.randrange(64)):016x}"
                query = [near, f"{chance.getrandbits(64):016x}", f"{chance.getrandbits(64):016x}"]
                started = time.perf_counter()
                async with sessions() as session:
                    found = await cases_with_copies(session, query, other_than=0)
                elapsed = (time.perf_counter() - started) * 1000
                assert found, "the near copy is found"
                if attempt >= 5:  # warmed up
                    times.append(elapsed)
        finally:
            await engine.dispose()
    median = statistics.median(times)
    return Result(
        SECTION,
        f"look-up among {cases:,} cases' hashes ({backend})",
        round(median, 1),
        "ms",
        target=f"≤ {TARGET_LOOKUP_MS:.0f} ms" if not context.quick else "",
        met=median <= TARGET_LOOKUP_MS if not context.quick else None,
        note=f"median of 35; {cases * HASHES_PER_CASE:,} rows",
    )


async def run(context: BenchContext) -> list[Result]:
    results = await asyncio.to_thread(_caught, 8 if context.quick else 200, context.quick)
    for backend in available_backends(context):
        results.append(await _lookup_times(context, backend, 2_000 if context.quick else 1_000_000))
    return results
