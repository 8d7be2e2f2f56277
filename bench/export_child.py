"""One export of every case in a database, alone in its own process so that its peak
resident memory is the export's: `python -m bench.export_child URL csv|xlsx` prints JSON
with the resident memory before it started and at its peak (both MB), the seconds it took,
and each part's size and row count (rows counted for CSV only: reading a million rows back
from XLSX would take minutes)."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import sys
import time

from bot.services.export import EXPORT_COLUMNS, LABELLED_COLUMNS, ExportFilters, export_files
from storage.db import create_engine, create_session_factory


def _resident_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def main(url: str, fmt: str) -> dict[str, object]:
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    async with sessions() as session:  # connected, so the baseline holds the driver
        await session.connection()
    before = _resident_mb()
    started = time.perf_counter()
    try:
        async with sessions() as session:
            files = await export_files(
                session,
                fmt=fmt,  # type: ignore[arg-type]
                columns={key: key for key in EXPORT_COLUMNS},
                labels={key: {} for key in LABELLED_COLUMNS},
                filters=ExportFilters(),
            )
        seconds = time.perf_counter() - started
        with files as paths:
            sizes = [path.stat().st_size for path in paths]
            rows = []
            if fmt == "csv":
                for path in paths:
                    with path.open("rb") as part:
                        rows.append(sum(1 for _ in part) - 1)  # less the headers
    finally:
        await engine.dispose()
    return {
        "before_mb": before,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "seconds": seconds,
        "sizes": sizes,
        "rows": rows,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2]))))
