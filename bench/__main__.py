"""`python -m bench`: run every benchmark on this machine and print one table.

`--quick` cuts every size down so the whole run takes seconds; CI runs it as a smoke test
that the benchmarks still work (its figures mean nothing). PostgreSQL and Redis figures need
BENCH_POSTGRES_URL (a server URL whose user may create databases) and BENCH_REDIS_URL;
without them those rows are skipped."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import sys
import time

from bench.context import BenchContext
from bench.report import Result, table

# Section modules, each with `async def run(context) -> list[Result]`, in the order printed.
SECTIONS = (
    "roundtrips",
    "intake",
    "scaleout",
    "evidence",
    "similar_images",
    "fanout",
    "growth",
    "search",
    "export",
    "web",
    "memory",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke test")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, help="run only this section (repeatable)"
    )
    parser.add_argument("--output", help="also write the table to this file")
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    context = BenchContext.from_environment(quick=arguments.quick)
    results: list[Result] = []
    for name in arguments.only or SECTIONS:
        module = importlib.import_module(f"bench.{name}")
        started = time.monotonic()
        print(f"== {name} …", file=sys.stderr, flush=True)
        section_results = asyncio.run(module.run(context))
        print(f"== {name} done in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
        results.extend(section_results)
    rendered = table(results, quick=arguments.quick)
    print(rendered)
    if arguments.output:
        with open(arguments.output, "w", encoding="utf-8") as handle:
            handle.write(rendered + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
