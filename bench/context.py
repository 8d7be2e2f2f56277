"""What every benchmark section is given: the run's size and the servers it may use."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BenchContext:
    quick: bool
    # A PostgreSQL server URL whose user may create databases, and a Redis URL; None: skip.
    postgres_url: str | None
    redis_url: str | None
    workdir: Path

    @classmethod
    def from_environment(cls, *, quick: bool) -> BenchContext:
        return cls(
            quick=quick,
            postgres_url=os.environ.get("BENCH_POSTGRES_URL") or None,
            redis_url=os.environ.get("BENCH_REDIS_URL") or None,
            workdir=Path(tempfile.mkdtemp(prefix="lapor-bench-")),
        )

    def size(self, full: int, quick: int) -> int:
        return quick if self.quick else full
