"""Evidence pipeline: 12-megapixel phone photos with EXIF through process_image (decode,
turn upright, strip, re-encode, thumbnail, hash), one after another in one thread, so on
one core (Pillow's codecs do not spread over cores). Photos come both upright and taken
sideways (EXIF orientation 6), which costs a rotation of every pixel.

Peak memory per image is read in a child process from the kernel's high-water mark of its
resident size, reset before each image (/proc/self/clear_refs), because Pillow allocates
outside Python's allocator where tracemalloc cannot see."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path

from bench.context import BenchContext
from bench.images import phone_photo
from bench.report import Result
from bot.services.images import process_image

SECTION = "evidence"
TARGET_PER_SECOND = 10
TARGET_PEAK_MB = 200

_PEAK_PROBE = """
import json, sys
from pathlib import Path
from bot.services.images import process_image

def status(field):
    with open("/proc/self/status") as lines:
        return next(int(l.split()[1]) for l in lines if l.startswith(field)) / 1024

peaks = []
for path in sys.argv[1:]:
    data = Path(path).read_bytes()
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")  # the high-water mark starts again from here
    before = status("VmRSS:")
    process_image(data)
    peaks.append(status("VmHWM:") - before)
print(json.dumps(peaks))
"""


def _throughput(photos: list[bytes]) -> float:
    process_image(photos[0])  # warm up: imports, codec tables
    started = time.perf_counter()
    for photo in photos:
        process_image(photo)
    return len(photos) / (time.perf_counter() - started)


def _peaks(paths: list[Path]) -> list[float]:
    root = Path(__file__).resolve().parent.parent
    finished = subprocess.run(
        [sys.executable, "-c", _PEAK_PROBE, *map(str, paths)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env={"PYTHONPATH": str(root)},
    )
    return [float(peak) for peak in json.loads(finished.stdout)]


async def run(context: BenchContext) -> list[Result]:
    width, height = (4000, 3000) if not context.quick else (800, 600)
    count = context.size(12, 2)
    upright = [phone_photo(seed, width, height, orientation=1) for seed in range(count)]
    sideways = [phone_photo(100 + seed, width, height, orientation=6) for seed in range(count)]
    upright_rate = await asyncio.to_thread(_throughput, upright)
    sideways_rate = await asyncio.to_thread(_throughput, sideways)
    mixed_rate = 2 / (1 / upright_rate + 1 / sideways_rate)
    paths = []
    for index, photo in enumerate([*upright[:3], *sideways[:3]]):
        path = context.workdir / f"photo-{index}.jpg"
        path.write_bytes(photo)
        paths.append(path)
    peaks = await asyncio.to_thread(_peaks, paths)
    judged = not context.quick
    megapixels = width * height / 1e6
    size_kb = sum(map(len, upright)) / len(upright) / 1024
    return [
        Result(
            SECTION,
            f"{megapixels:g} MP photos a second, one core, upright",
            upright_rate,
            "/s",
            f"≥ {TARGET_PER_SECOND} /s",
            upright_rate >= TARGET_PER_SECOND if judged else None,
            note=f"JPEG of {size_kb:.0f} KB with EXIF and GPS",
        ),
        Result(
            SECTION,
            f"{megapixels:g} MP photos a second, one core, taken sideways",
            sideways_rate,
            "/s",
            f"≥ {TARGET_PER_SECOND} /s",
            sideways_rate >= TARGET_PER_SECOND if judged else None,
            note="EXIF orientation 6: every pixel turned",
        ),
        Result(SECTION, "half and half", mixed_rate, "/s"),
        Result(
            SECTION,
            "peak memory of one image",
            max(peaks),
            "MB",
            f"≤ {TARGET_PEAK_MB} MB",
            max(peaks) <= TARGET_PEAK_MB if judged else None,
            note=f"largest of {len(peaks)}, above the process's resident size before it",
        ),
    ]
