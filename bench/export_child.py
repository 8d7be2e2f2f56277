"""One export of every case in a database, alone in its own process so that its peak
resident memory is the export's: `python -m bench.export_child URL csv|xlsx` prints JSON
with the resident memory before it started and at its peak (both MB), the seconds it took,
and each part's size and row count (rows counted for CSV only: reading a million rows back
from XLSX would take minutes)."""

from __future__ import annotations

import asyncio
import json
import sys
import time

from bot.services.export import EXPORT_COLUMNS, LABELLED_COLUMNS, ExportFilters, export_files
from storage.db import create_engine, create_session_factory


def _status_mb(field: str) -> float:
    """VmRSS (resident now) or VmHWM (its peak) of this process, in MB. Not getrusage's
    ru_maxrss: Linux carries that across exec from the forked parent, so a child of the
    benchmark (holding a million generated cases) would report the parent's size."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise LookupError(field)


async def main(url: str, fmt: str) -> dict[str, object]:
    engine = create_engine(url)
    sessions = create_session_factory(engine)
    async with sessions() as session:  # connected, so the baseline holds the driver
        await session.connection()
    before = _status_mb("VmRSS")
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
        "peak_mb": _status_mb("VmHWM"),
        "seconds": seconds,
        "sizes": sizes,
        "rows": rows,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1], sys.argv[2]))))
